/** The committed real-data fixture (fixtures/DATA_LICENSE.md), for tests of this and other packages. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** City of Melbourne hourly counts, sensors 1, 2, 4, March–October 2012, as the city's CSV export (text). */
export function melbourneFixtureCsv(): string {
  return gunzipSync(
    readFileSync(new URL('./fixtures/melbourne-3-sensors-2012-03-10.csv.gz', import.meta.url)),
  ).toString('utf8');
}

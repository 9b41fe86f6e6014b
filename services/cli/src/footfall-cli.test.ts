/**
 * `passage ingest --format csv --mapping`, `passage calendar` and `passage forecast` as a user runs them, on the
 * committed real-data fixtures (City of Melbourne) and the committed model.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPassage } from './run-cli.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const FIXTURE = join(REPO, 'services/footfall/src/fixtures/melbourne-3-sensors-2012-03-10.csv.gz');
const MAPPING = join(REPO, 'services/footfall/model/melbourne-mapping.json');
const MODEL = join(REPO, 'services/footfall/model/melbourne-2012.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'ff-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One CLI call in a child process (asynchronous: a long ingest must not block the test runner). */
const passage = (...args: string[]) => runPassage(args);
const MEL = ['--timezone', 'Australia/Melbourne', '--country', 'AU', '--region', 'VIC'];

describe('footfall from the command line', () => {
  const data = join(tmp, 'store');
  it('ingests the gzipped Melbourne export through the mapping, gaps and DST included', async () => {
    const r = await passage('ingest', '--format', 'csv', '--mapping', MAPPING, FIXTURE, '--data', data);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out.trim().split('\n').pop() as string);
    expect(s).toMatchObject({ sensors: 3, mode: 'embedded', skippedNonexistent: 3, ambiguous: 3, missing: 0 });
    expect(s.records).toBe(s.rows - 3);
    const q = await passage('query', '--data', data, "SELECT count() AS n FROM counts_bins WHERE interval = '1h'");
    // every local hour of 245 days × 3 sensors, one hour less (7 Oct) and one more (1 Apr, a gap) each
    expect(Number(JSON.parse(q.out.trim()).n)).toBe(245 * 24 * 3);
    const usage = await passage('ingest', '--format', 'csv', FIXTURE, '--data', data);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('PASSAGE_CLI_USAGE');
  });

  it('forecasts from the store with the committed model and scores the references on the same cells', async () => {
    const out = join(tmp, 'fc.csv');
    const r = await passage(
      'forecast',
      'backtest',
      '--data',
      data,
      ...MEL,
      '--train-until',
      '2012-09-01',
      '--from',
      '2012-09-01',
      '--to',
      '2012-09-30',
      '--model',
      MODEL,
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ sensors: 3, days: 30, forecasts: 3 * 24 * 30 });
    expect(s.wape.mean4Weeks).toBeGreaterThan(0.05);
    const csv = readFileSync(out, 'utf8').split('\n');
    expect(csv[0]).toBe('sensor_id,date,hour,forecast,lo80,hi80');
    expect(csv[1]).toMatch(/^1,2012-09-01,0,[\d.]+,[\d.]+,[\d.]+$/);
  });

  it('stores and lists operator events; compares periods', async () => {
    const add = await passage(
      'calendar',
      'add',
      '--data',
      data,
      '--kind',
      'works',
      '--name',
      'Swanston St works',
      '--from',
      '2012-08-06',
      '--to',
      '2012-08-10',
      '--sensors',
      '4',
      '--id',
      'w1',
    );
    expect(JSON.parse(add.out)).toEqual({ stored: 1, ids: ['w1'] });
    const list = JSON.parse((await passage('calendar', 'list', '--data', data, '--from', '2012-08-01')).out);
    expect(list).toEqual([
      {
        id: 'w1',
        kind: 'works',
        name: 'Swanston St works',
        from: '2012-08-06',
        to: '2012-08-10',
        region: '',
        sensors: ['4'],
      },
    ]);
    const cmp = await passage(
      'forecast',
      'compare',
      '--data',
      data,
      ...MEL,
      '--site',
      '4',
      '--from',
      '2012-08-06',
      '--to',
      '2012-08-12',
    );
    const c = JSON.parse(cmp.out);
    expect(c.weekOnWeek.cells).toBe(168);
    expect(c.sameWeekdayLastYear.change).toBeNull();
  });
});

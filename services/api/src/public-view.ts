/**
 * The public (keyless) view is served on a fixed grid so that no two public answers can be subtracted to reveal a
 * count withheld below k (docs/OD-AND-PRIVACY.md, "Public API"):
 *
 * 1. Ranges are widened to whole clock hours (UTC) and end at the last hour that has ended: a public answer is
 *    always made of whole, closed hourly cells, so `[06:00, 08:00) − [06:15, 08:00)` is the empty difference and
 *    an hour still filling cannot be watched grow. With `interval=1d`, likewise to whole UTC days that have ended
 *    (a daily export row is then always a whole day's cell).
 * 2. Every value coarser than an hour (a day, a total, a site's volume, a footfall total and its change) is the
 *    sum of the k-anonymous hourly cells it covers: a withheld cell adds nothing, so the difference of two such
 *    sums is a sum of published cells.
 */
import type { PublicCell } from '@passage/store';
import { apiError } from './errors.ts';
import { parseTime } from './schemas.ts';

export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Open-data view of a count for the public: a count c with 0 < c < k is withheld (null). */
export const kCount = (c: number | null, k: number): number | null => (c !== null && c > 0 && c < k ? null : c);

const PAIRS = [
  ['from', 'to'],
  ['compareFrom', 'compareTo'],
] as const;

/**
 * Widens a public request's ranges (`from`/`to`, `compareFrom`/`compareTo`) in place to whole clock hours (whole
 * UTC days with `interval=1d`) ending at the start of the current hour (day) at the latest. Ranges that are not
 * valid are left for the route to reject.
 */
export function snapPublicRange(query: Record<string, unknown>, now: number): void {
  const unit = query.interval === '1d' ? DAY_MS : HOUR_MS;
  const closed = Math.floor(now / unit) * unit;
  for (const [a, b] of PAIRS) {
    const fs = query[a];
    const ts = query[b];
    if (typeof fs !== 'string' || typeof ts !== 'string') continue;
    const f = parseTime(fs, a);
    const t = parseTime(ts, b);
    if (!(t > f)) continue;
    const from = Math.floor(f / unit) * unit;
    const to = Math.min(Math.ceil(t / unit) * unit, closed);
    if (!(to > from)) {
      throw apiError(
        'PASSAGE_BAD_RANGE',
        `Without an API key only whole clock ${unit === DAY_MS ? 'days' : 'hours'} that have ended are served: querystring/${a} must be before ` +
          `${new Date(closed).toISOString()}.`,
      );
    }
    query[a] = new Date(from).toISOString();
    query[b] = new Date(to).toISOString();
  }
}

/** Maps a time to its bucket: the latest of `starts` at or before it (buckets as the coarse query made them). */
export function bucketOf(starts: readonly number[]): (t: number) => number {
  const s = [...new Set(starts)].sort((x, y) => x - y);
  return (t) => {
    let lo = 0;
    let hi = s.length - 1;
    let found = s[0] ?? t;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] <= t) {
        found = s[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/**
 * Public values of coarse buckets from k-anonymous hourly cells, by `bucket|key`: the sum of the published cells;
 * null when nothing was published but a cell was withheld (or every cell was a gap).
 */
export function publishedSums<H extends { t: number; count: number | null }>(
  hourly: readonly H[],
  key: (h: H) => string,
  bucket: (t: number) => number,
  k: number,
): Map<string, number | null> {
  const acc = new Map<string, { sum: number; published: boolean; withheld: boolean; seen: boolean }>();
  for (const h of hourly) {
    const id = `${bucket(h.t)}|${key(h)}`;
    let a = acc.get(id);
    if (!a) {
      a = { sum: 0, published: false, withheld: false, seen: false };
      acc.set(id, a);
    }
    const c = kCount(h.count, k);
    if (h.count === null) continue;
    a.seen = true;
    if (c === null) a.withheld = true;
    else if (c > 0) {
      a.sum += c;
      a.published = true;
    }
  }
  const out = new Map<string, number | null>();
  for (const [id, a] of acc) out.set(id, a.published ? a.sum : a.withheld || !a.seen ? null : 0);
  return out;
}

/**
 * Rows of a coarse public answer with `count` replaced by the sum of the k-anonymous hourly cells under it.
 * `hourly` are the same rows at a 1-hour interval (pass `rows` itself when the interval is 1 h).
 */
export function publicRows<R extends { t: number; count: number | null }>(
  rows: readonly R[],
  hourly: readonly R[],
  key: (r: R) => string,
  k: number,
): R[] {
  const sums = publishedSums(hourly, key, bucketOf(rows.map((r) => r.t)), k);
  return rows.map((r) => ({ ...r, count: sums.get(`${r.t}|${key(r)}`) ?? null }));
}

/** A public period total: the sum of its published hourly cells (null when every non-zero cell was withheld). */
export function publicTotal(hourly: readonly { t: number; count: number | null }[], k: number): number | null {
  return (
    publishedSums(
      hourly,
      () => '',
      () => 0,
      k,
    ).get('0|') ?? (hourly.length === 0 ? 0 : null)
  );
}

/** Cells that make a site's volume (`siteVolumes`): line crossings towards the junction, counters both ways. */
const inVolume = (c: PublicCell) => c.source === 'sensor' || c.direction === 'in';

/** Cells that make footfall (`footfall`): pedestrians crossing towards the junction, and pedestrian counters. */
const inFootfall = (c: PublicCell) =>
  c.source === 'line'
    ? c.mode === 'pedestrian' && c.direction === 'in'
    : c.mode === 'pedestrian' || ((c.mode === '' || c.mode === 'all') && c.kind === 'pedestrian');

/**
 * Public volume per site over a range: the sum of its published cells of the finest grid (one camera line or one
 * counter series, one hour), so that a volume minus the published line counts of the site is never a withheld cell.
 */
export function publicVolumes(cells: readonly PublicCell[], k: number): Map<string, number | null> {
  const sums = publishedSums(
    cells.filter(inVolume),
    (x) => x.siteId,
    () => 0,
    k,
  );
  return new Map([...sums].map(([id, v]) => [id.slice(id.indexOf('|') + 1), v]));
}

/** Public hourly footfall of a set of sites: per hour, the sum of the published cells of the finest grid. */
export function publicFootfallHourly(cells: readonly PublicCell[], k: number): { t: number; count: number | null }[] {
  const sums = publishedSums(
    cells.filter(inFootfall),
    () => '',
    (t) => t,
    k,
  );
  return [...sums].map(([id, count]) => ({ t: Number(id.slice(0, id.indexOf('|'))), count })).sort((a, b) => a.t - b.t);
}

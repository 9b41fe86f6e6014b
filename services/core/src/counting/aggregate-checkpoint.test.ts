import { describe, expect, it } from 'vitest';
import { MinuteAggregator } from './aggregate.ts';
import type { TrackSummary } from './types.ts';

/** A track crossing line L1 at `ts` with `speed` km/h and moving N → S (exit at ts + 2 s, 3.5 s dwell). */
const track = (ts: number, speed: number): TrackSummary => ({
  trackId: 1,
  firstTs: ts - 5000,
  lastTs: ts + 2000,
  frames: 70,
  pathLengthM: 40,
  speedKmh: speed,
  crossings: [{ lineId: 'L1', direction: 'in', ts, speedKmh: speed }],
  zones: [],
  movement: { fromZone: 'N', toZone: 'S', entryTs: ts - 1500, exitTs: ts + 2000, dwellS: 3.5 },
});

describe('MinuteAggregator checkpoint (rows / addRows)', () => {
  it('a restored aggregator plus the tracks after the checkpoint flushes the rows of an uninterrupted one', () => {
    const opts = { siteId: 's1', cameraId: 'c1' };
    const whole = new MinuteAggregator(opts);
    const before = new MinuteAggregator(opts);
    const tracks = [track(10_000, 30), track(20_000, 40), track(70_000, 50), track(30_000, 20)];
    for (const [i, t] of tracks.entries()) {
      whole.add(t, 'car');
      if (i < 2) before.add(t, 'car');
    }
    const restored = new MinuteAggregator(opts);
    restored.addRows(JSON.parse(JSON.stringify(before.rows())));
    for (const t of tracks.slice(2)) restored.add(t, 'car');
    const a = whole.flush();
    const b = restored.flush();
    expect(b.lineCounts).toEqual(a.lineCounts);
    expect(b.movements).toEqual(a.movements);
    expect(b.lineCounts.map((r) => [r.minute, r.count, r.speedSum])).toEqual([
      [0, 3, 90],
      [60_000, 1, 50],
    ]);
    expect(b.movements[0]).toMatchObject({ minute: 0, count: 3, dwellSumS: 10.5, speedSum: 90, speedCount: 3 });
  });
});

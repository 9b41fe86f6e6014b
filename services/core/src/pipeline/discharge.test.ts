import { describe, expect, it } from 'vitest';
import type { TrackSummary } from '../counting/types.ts';
import { fitHomography } from '../geometry/homography.ts';
import { DEFAULT_PCU } from '../signals/timing.ts';
import { CameraPipeline, type FinishedRoadUser, type PipelineObject } from './camera-pipeline.ts';
import { DischargeMeter, saturationFlowOf } from './discharge.ts';

const T0 = 1_700_000_000_000;
/** Start of a quarter hour (1_699_999_200_000 % 900_000 = 0). */
const Q0 = 1_699_999_200_000;

/** A road user that entered approach `W` at `entry`, left it at `exit` and went on to `to`; stopped or not. */
function departure(exit: number, stopped: boolean, to = 'E') {
  const summary: TrackSummary = {
    trackId: 0,
    firstTs: exit - 30_000,
    lastTs: exit + 5_000,
    frames: 100,
    pathLengthM: 80,
    speedKmh: 20,
    crossings: [],
    zones: [
      { zoneId: 'W', entryTs: exit - 30_000, exitTs: exit, dwellS: 30, closed: true },
      { zoneId: to, entryTs: exit + 500, exitTs: exit + 4_000, dwellS: 3.5, closed: true },
    ],
    movement: { fromZone: 'W', toZone: to, entryTs: exit - 30_000, exitTs: exit + 4_000, dwellS: 34 },
  };
  // Speeds (km/h) every second from its entry: standing (0) 20 s before leaving the arm, else 30 km/h.
  const t = Array.from({ length: 36 }, (_, i) => exit - 30_000 + i * 1000);
  const v = t.map((x) => (stopped && x >= exit - 20_000 && x <= exit - 5_000 ? 0 : 30));
  return { summary, t, v };
}

function meter(): DischargeMeter {
  return new DischargeMeter({ pcu: DEFAULT_PCU });
}

describe('DischargeMeter (HCM saturation headways)', () => {
  it('a queue of 10 cars leaving at 2.0 s: 6 saturated headways (5th to 10th car), 1,800 PCU/h', () => {
    const m = meter();
    // fed in an order unlike their departures (tracks end in any order)
    for (const i of [3, 0, 9, 1, 2, 8, 4, 5, 7, 6]) {
      const d = departure(Q0 + 60_000 + i * 2000, true);
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
    }
    m.flushAll();
    const rows = m.take(true);
    expect(rows.map((r) => [r.fromZone, r.toZone, r.headways, r.headwaySumS, r.pcuSum])).toEqual([
      ['W', '*', 6, 12, 6],
      ['W', 'E', 6, 12, 6],
    ]);
    expect(rows[0].start).toBe(Q0);
    expect(saturationFlowOf(rows.slice(0, 1))).toBeCloseTo(1800, 9);
  });

  it('start-up excluded: slow first four departures do not change the figure; a truck counts 2 PCU', () => {
    const m = meter();
    // first 4 at 3.5 s, then 2.0 s; the 7th is a truck (2 PCU): 6 headways, 12 s, 7 PCU -> 2,100 PCU/h
    const times = [0, 3500, 7000, 10_500, 12_500, 14_500, 16_500, 18_500, 20_500, 22_500];
    times.forEach((dt, i) => {
      const d = departure(Q0 + 60_000 + dt, true);
      m.add(d.summary, i === 6 ? 'truck' : 'car', d.t, d.v, d.t.length);
    });
    m.flushAll();
    const all = m.take(true).filter((r) => r.toZone === '*');
    expect(all).toHaveLength(1);
    expect(all[0].headways).toBe(6);
    expect(all[0].headwaySumS).toBeCloseTo(12, 9);
    expect(all[0].pcuSum).toBe(7);
    expect(saturationFlowOf(all)).toBeCloseTo(2100, 9);
  });

  it('a moving platoon that never stopped gives no saturated headway', () => {
    const m = meter();
    for (let i = 0; i < 10; i++) {
      const d = departure(Q0 + 60_000 + i * 2000, false);
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
    }
    m.flushAll();
    expect(m.take(true)).toEqual([]);
  });

  it('a car arriving without stopping ends the run; a gap over 10 s starts a new one; pedestrians never count', () => {
    const m = meter();
    // 6 queued (2 s), one free arrival, 6 queued again: two runs of 6 -> 2 + 2 saturated headways
    for (let i = 0; i < 13; i++) {
      const d = departure(Q0 + 60_000 + i * 2000, i !== 6);
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
    }
    // a second cycle 30 s later: 6 queued again -> 2 more
    for (let i = 0; i < 6; i++) {
      const d = departure(Q0 + 120_000 + i * 2000, true);
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
      m.add(d.summary, 'pedestrian', d.t, d.v, d.t.length);
    }
    m.flushAll();
    const all = m.take(true).filter((r) => r.toZone === '*');
    expect(all.map((r) => [r.headways, r.headwaySumS])).toEqual([[6, 12]]);
  });

  it('movements are measured on their own: left turners between straight-on cars', () => {
    const m = meter();
    // 12 queued departures at 2 s, every third a left turn (to N): the approach 8 headways of 2 s;
    // left turners 4 departures 6 s apart: none past the 4th; straight-on 8, 4 past the 4th: 2, 4, 2, 4 s
    for (let i = 0; i < 12; i++) {
      const d = departure(Q0 + 60_000 + i * 2000, true, i % 3 === 2 ? 'N' : 'E');
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
    }
    m.flushAll();
    const rows = m.take(true);
    expect(rows.map((r) => [r.toZone, r.headways, r.headwaySumS])).toEqual([
      ['*', 8, 16],
      ['E', 4, 12],
    ]);
  });

  it('keeps departures until the horizon has passed, then hands out only finished quarter hours', () => {
    const m = meter();
    for (let i = 0; i < 10; i++) {
      const d = departure(Q0 + 60_000 + i * 2000, true);
      m.add(d.summary, 'car', d.t, d.v, d.t.length);
    }
    m.advance(Q0 + 150_000); // applied up to 30 s: nothing applied yet
    expect(m.take()).toEqual([]);
    m.advance(Q0 + 1_000_000); // applied up to 880 s: departures applied, the quarter (to 900 s) still open
    expect(m.take()).toEqual([]);
    m.advance(Q0 + 1_020_000); // applied up to 900 s: the quarter is finished
    expect(m.take().map((r) => r.headways)).toEqual([6, 6]);
    expect(m.pending).toBe(0);
  });
});

// Image → ground: 10 px per metre (the four image corners of a 1000 px square).
const H = fitHomography(
  [0, 1, 2, 3].map((c) => {
    const u = (c & 1) * 1000;
    const v = (c >> 1) * 1000;
    return { image: [u, v] as [number, number], ground: [u / 10, v / 10] as [number, number] };
  }),
).homography;

/** A car box 4.5 m long whose foot point (bottom centre) is at ground (x, 10). */
const car = (x: number): PipelineObject => ({ bbox: [x * 10 - 22.5, 85, 45, 15], cls: 'car', score: 0.9 });

/**
 * Approach arm W (x 0–70 m) and exit arm E (x 72–98 m), driving east along y = 10 m. Car i drives in at 8 m/s from
 * x = 2 m starting at 3 i s; with `queue`, it stops at 68 − 6.5 i m and leaves the arm (x = 70 m) at 40 + 2 i s
 * driving 8 m/s; without, it never stops. Returns the queue-discharge rows of the camera.
 */
function runQueue(queue: boolean) {
  const p = new CameraPipeline({
    cameraId: 'c',
    siteId: 's',
    homography: H,
    lines: [],
    zones: [
      {
        id: 'W',
        polygon: [
          [0, 5],
          [70, 5],
          [70, 15],
          [0, 15],
        ],
      },
      {
        id: 'E',
        polygon: [
          [72, 5],
          [98, 5],
          [98, 15],
          [72, 15],
        ],
      },
    ],
    fps: 10,
  });
  const v = 8;
  const pos = (i: number, t: number): number => {
    const arrive = 3 * i;
    if (!queue) return t < arrive ? Number.NaN : 2 + v * (t - arrive);
    const stop = 68 - 6.5 * i;
    const leave = 40 + 2 * i - (70 - stop) / v; // starts so as to cross x = 70 m at 40 + 2 i s
    if (t < arrive) return Number.NaN;
    if (t < arrive + (stop - 2) / v) return 2 + v * (t - arrive);
    if (t < leave) return stop;
    return stop + v * (t - leave);
  };
  const out: FinishedRoadUser[] = [];
  for (let k = 0; k < 1200; k++) {
    const t = k / 10;
    const objs: PipelineObject[] = [];
    for (let i = 0; i < 10; i++) {
      const x = pos(i, t);
      if (x >= 2 && x <= 97) objs.push(car(x));
    }
    p.processFrame(T0 + k * 100, objs, out);
  }
  p.flush(out);
  return { rows: p.takeDischarge(true), users: out };
}

describe('CameraPipeline queue discharge', () => {
  it('10 queued cars crossing the arm edge 2.0 s apart: 1,800 PCU/h from the 5th car on', () => {
    const { rows, users } = runQueue(true);
    expect(users.filter((u) => u.summary.movement?.fromZone === 'W')).toHaveLength(10);
    const all = rows.filter((r) => r.toZone === '*');
    expect(all).toHaveLength(1);
    expect(all[0].headways).toBe(6);
    expect(all[0].pcuSum).toBe(6);
    expect(all[0].headwaySumS).toBeCloseTo(12, 6);
    expect(saturationFlowOf(all)).toBeCloseTo(1800, 3);
  });

  it('the same cars driving through without stopping: no saturated headway', () => {
    const { rows, users } = runQueue(false);
    expect(users.filter((u) => u.summary.movement?.fromZone === 'W')).toHaveLength(10);
    expect(rows).toEqual([]);
  });
});

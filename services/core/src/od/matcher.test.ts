import { describe, expect, it } from 'vitest';
import type { TokenSightingLike } from '../privacy/tokenizer.ts';
import { OdMatcher } from './matcher.ts';

const T = Date.parse('2025-10-01T07:00:00Z');
const S = 1000;
const MIN = 60 * S;
const tok = (i: number) => `tok${String(i).padStart(19, '0')}`;
const sight = (
  token: string,
  siteId: string,
  ts: number,
  kind: TokenSightingLike['kind'] = 'wifi',
): TokenSightingLike => ({
  siteId,
  ts,
  kind,
  token,
});
// Window [07:00, 07:15) closes when wm − 60 s > 07:15 + 2 h + 45 min.
const CLOSE_0700 = T + 15 * MIN + 120 * MIN + 45 * MIN + 60 * S + 1;

describe('OdMatcher', () => {
  it('chains visits into one trip origin → destination, dedupes repeated sightings, drops the token', () => {
    const m = new OdMatcher({ siteZone: { A: 'Z1', B: 'Z2', C: 'Z3' } });
    m.onSightings([
      sight(tok(1), 'A', T),
      sight(tok(1), 'A', T + 20 * S),
      sight(tok(1), 'A', T + 30 * S), // origin visit 07:00:00–07:00:30: departure = its midpoint 07:00:15
      sight(tok(1), 'B', T + 10 * MIN),
      sight(tok(1), 'B', T + 11 * MIN),
      sight(tok(1), 'C', T + 20 * MIN), // destination visit 07:20–07:21: arrival = its midpoint 07:20:30
      sight(tok(1), 'C', T + 21 * MIN),
    ]);
    expect(m.stateSize()).toBe(1);
    expect(m.counters().deduplicated).toBe(4);
    // Not closable yet: last sighting 07:21 + 45 min + 1 min lateness.
    expect(m.onWatermark(T + 21 * MIN + 46 * MIN)).toEqual([]);
    expect(m.stateSize()).toBe(1);
    expect(m.onWatermark(T + 21 * MIN + 46 * MIN + 1)).toEqual([]);
    expect(m.stateSize()).toBe(0); // token state dropped, the trip waits in its window
    expect(m.openWindows()).toBe(1);
    expect(m.onWatermark(CLOSE_0700 - 1)).toEqual([]);
    expect(m.onWatermark(CLOSE_0700)).toEqual([
      {
        origin: 'Z1',
        destination: 'Z3',
        mode: 'all',
        windowStart: T,
        trips: 1,
        travelTimeP50S: 1215,
        travelTimeP85S: 1215,
      },
    ]);
    expect(m.openWindows()).toBe(0);
    expect(m.counters()).toMatchObject({ sightings: 7, trips: 1, tokensClosed: 1, cellsEmitted: 1, late: 0 });
  });

  it("visitTime 'edges': departure = last sighting at the origin, arrival = first at the destination", () => {
    const m = new OdMatcher({ siteZone: { A: 'Z1', B: 'Z2' }, visitTime: 'edges' });
    m.onSightings([
      sight(tok(1), 'A', T),
      sight(tok(1), 'A', T + 30 * S),
      sight(tok(1), 'B', T + 20 * MIN),
      sight(tok(1), 'B', T + 21 * MIN),
    ]);
    expect(m.flush()).toMatchObject([{ origin: 'Z1', destination: 'Z2', trips: 1, travelTimeP50S: 1170 }]);
  });

  it('counts distinct tokens, exact p50/p85, mode groups by kind, and splits sessions on gaps', () => {
    const m = new OdMatcher();
    const tts = [300, 360, 420, 480, 600];
    tts.forEach((tt, i) => {
      m.onSighting(sight(tok(i), 'A', T + i * S));
      m.onSighting(sight(tok(i), 'B', T + i * S + tt * S));
    });
    m.onSighting(sight(tok(10), 'A', T, 'anpr'));
    m.onSighting(sight(tok(10), 'B', T + 5 * MIN, 'anpr'));
    // 50 min gap: two sessions of one visit each, no trip.
    m.onSighting(sight(tok(11), 'A', T));
    m.onSighting(sight(tok(11), 'B', T + 50 * MIN));
    const cells = m.onWatermark(CLOSE_0700 + 60 * MIN);
    expect(cells).toEqual([
      {
        origin: 'A',
        destination: 'B',
        mode: 'all',
        windowStart: T,
        trips: 5,
        travelTimeP50S: 420,
        travelTimeP85S: 528,
      },
      {
        origin: 'A',
        destination: 'B',
        mode: 'motor',
        windowStart: T,
        trips: 1,
        travelTimeP50S: 300,
        travelTimeP85S: 300,
      },
    ]);
    expect(m.stateSize()).toBe(0);
  });

  it('accepts out-of-order sightings within the allowed lateness, counts older ones as late', () => {
    const m = new OdMatcher({ allowedLatenessMs: 10 * MIN });
    m.onWatermark(T + 8 * MIN);
    m.onSighting(sight(tok(1), 'B', T + 9 * MIN));
    m.onSighting(sight(tok(1), 'A', T - 1 * MIN)); // 9 min behind the watermark: accepted, inserted before B
    m.onSighting(sight(tok(2), 'A', T - 3 * MIN)); // 11 min behind: late
    expect(m.counters().late).toBe(1);
    const cells = m.flush();
    expect(cells).toEqual([
      {
        origin: 'A',
        destination: 'B',
        mode: 'all',
        windowStart: T - 15 * MIN,
        trips: 1,
        travelTimeP50S: 600,
        travelTimeP85S: 600,
      },
    ]);
  });

  it('cuts sessions longer than maxTripDuration so windows can close', () => {
    const m = new OdMatcher({ maxTravelTimeS: 600, maxTripDurationS: 1200 });
    // A bus seen every 8 min at alternating stops for 40 min.
    const stops = ['A', 'B', 'C', 'D', 'E', 'F'];
    for (const [i, s] of stops.entries()) m.onSighting(sight(tok(1), s, T + i * 8 * MIN, 'anpr'));
    const cells = m.flush();
    // Sessions: A..C (0–16 min), then C..E (16–32, the cut keeps C), then E..F.
    expect(cells.map((c) => `${c.origin}>${c.destination}:${c.travelTimeP50S}`)).toEqual([
      'A>C:960',
      'C>E:960',
      'E>F:480',
    ]);
  });

  it('bounds state with maxTokens, evicting the token seen longest ago, and counts it', () => {
    const m = new OdMatcher({ maxTokens: 100 });
    for (let i = 0; i < 1000; i++) {
      m.onSighting(sight(tok(i), 'A', T + i * S));
      expect(m.stateSize()).toBeLessThanOrEqual(100);
    }
    expect(m.counters().evicted).toBe(900);
    expect(m.peakStateSize()).toBe(100);
    m.onSighting(sight(tok(999), 'B', T + 1000 * S)); // the newest token is still there and makes a trip
    expect(m.flush()).toMatchObject([{ origin: 'A', destination: 'B', trips: 1 }]);
  });

  it('drops sightings at unknown sites when a zone map is given', () => {
    const m = new OdMatcher({ siteZone: new Map([['A', 'Z1']]) });
    m.onSighting(sight(tok(1), 'X', T));
    expect(m.counters().unknownSite).toBe(1);
    expect(m.stateSize()).toBe(0);
  });

  it('applies k-anonymity with exact distinct tokens before cells leave', () => {
    const m = new OdMatcher({ kAnonymity: { k: 5, rule: 'suppress' } });
    for (let i = 0; i < 6; i++) {
      m.onSighting(sight(tok(i), 'A', T));
      m.onSighting(sight(tok(i), 'B', T + 5 * MIN));
    }
    for (let i = 10; i < 13; i++) {
      m.onSighting(sight(tok(i), 'A', T));
      m.onSighting(sight(tok(i), 'C', T + 5 * MIN));
    }
    expect(m.flush()).toEqual([
      {
        origin: 'A',
        destination: 'B',
        mode: 'all',
        windowStart: T,
        trips: 6,
        travelTimeP50S: 300,
        travelTimeP85S: 300,
        rule: 'k5:pass',
      },
      { origin: 'A', destination: 'C', mode: 'all', windowStart: T, trips: 0, suppressed: true, rule: 'k5:suppress' },
    ]);
  });

  it('rejects bad configuration', () => {
    expect(() => new OdMatcher({ maxTravelTimeS: 0 })).toThrow(expect.objectContaining({ code: 'PASSAGE_OD_CONFIG' }));
    expect(() => new OdMatcher({ maxTripDurationS: 60 })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_CONFIG' }),
    );
    expect(() => new OdMatcher({ maxTokens: 0 })).toThrow(expect.objectContaining({ code: 'PASSAGE_OD_CONFIG' }));
    expect(() => new OdMatcher({ visitGapS: -1 })).toThrow(/visitGapS/);
  });

  it('coarse (hourly) cells: k-anonymity applied at the hourly level on its own distinct tokens; site counts', () => {
    const m = new OdMatcher({
      siteZone: { A: 'Z1', B: 'Z2' },
      kAnonymity: { k: 5, rule: 'suppress' },
      coarseWindowMs: 60 * MIN,
      siteDevices: true,
    });
    // 6 tokens A → B departing in four different quarter hours of 07:00–08:00 (≤ 2 per quarter hour),
    // plus 3 tokens seen at A only.
    for (let i = 0; i < 6; i++) {
      const t0 = T + (i % 4) * 15 * MIN + i * S;
      m.onSightings([sight(tok(i), 'A', t0), sight(tok(i), 'B', t0 + 5 * MIN)]);
    }
    for (let i = 6; i < 9; i++) m.onSighting(sight(tok(i), 'A', T + 50 * MIN));
    const fine = m.flush();
    expect(fine.every((c) => c.suppressed && c.trips === 0)).toBe(true);
    const { cells, sites } = m.drainCoarse();
    expect(cells).toEqual([
      {
        origin: 'Z1',
        destination: 'Z2',
        mode: 'all',
        windowStart: T,
        trips: 6,
        travelTimeP50S: 300,
        travelTimeP85S: 300,
        rule: 'k5:pass',
      },
    ]);
    expect(sites).toEqual([
      { siteId: 'A', zone: 'Z1', kind: 'wifi', windowStart: T, devices: 9, rule: 'k5:pass' },
      { siteId: 'B', zone: 'Z2', kind: 'wifi', windowStart: T, devices: 6, rule: 'k5:pass' },
    ]);
    expect(m.drainCoarse()).toEqual({ cells: [], sites: [] });
  });

  it('coarse cells and site counts below k are suppressed (no count leaves the matcher)', () => {
    const m = new OdMatcher({
      siteZone: { A: 'Z1', B: 'Z2' },
      kAnonymity: { k: 5, rule: 'suppress' },
      coarseWindowMs: 60 * MIN,
      siteDevices: true,
    });
    for (let i = 0; i < 4; i++) m.onSightings([sight(tok(i), 'A', T + i * MIN), sight(tok(i), 'B', T + 9 * MIN)]);
    m.flush();
    const { cells, sites } = m.drainCoarse();
    expect(cells.map((c) => [c.trips, c.suppressed, c.rule])).toEqual([[0, true, 'k5:suppress']]);
    expect(sites.map((c) => [c.siteId, c.devices, c.suppressed])).toEqual([
      ['A', 0, true],
      ['B', 0, true],
    ]);
  });

  it('zone-level trips: origin and destination runs span several sites of a zone, a stay in one zone is no trip', () => {
    const siteZone = { A1: 'Z1', A2: 'Z1', B1: 'Z2', C1: 'Z3', C2: 'Z3' };
    // passThrough 'zone': this test is about runs spanning several sites of a zone; by default (passThrough
    // 'unobserved') runs entered by one site and left by another are crossings and both ends would be unobserved
    // (see the pass-through test below).
    const m = new OdMatcher({ siteZone, passThrough: 'zone' });
    m.onSightings([
      // Token 1: A1, A2 (leaving Z1 through its second unit), B1, then C1 and C2 inside Z3.
      sight(tok(1), 'A1', T),
      sight(tok(1), 'A2', T + 60 * S),
      sight(tok(1), 'B1', T + 5 * MIN),
      sight(tok(1), 'C1', T + 10 * MIN),
      sight(tok(1), 'C2', T + 12 * MIN),
      // Token 2: only Z1's two units: a walk inside the zone, not a trip.
      sight(tok(2), 'A1', T + 2 * MIN),
      sight(tok(2), 'A2', T + 4 * MIN),
    ]);
    const cells = [...m.flush()];
    expect(cells).toEqual([
      {
        origin: 'Z1',
        destination: 'Z3',
        mode: 'all',
        windowStart: T,
        trips: 1,
        // Departure at the last unit of the origin run (A2, 07:01), arrival at the first of the destination run
        // (C1, 07:10).
        travelTimeP50S: 540,
        travelTimeP85S: 540,
      },
    ]);
    expect(m.counters().trips).toBe(1);
  });

  it('interleaved sightings of two overlapping sniffers are one visit each, ordered by their midpoints', () => {
    const m = new OdMatcher({ siteZone: { A: 'Z1', B: 'Z2', C: 'Z1' }, visitGapS: 120 });
    // The phone is heard alternately by A (Z1) and B (Z2) for a minute, A's visit centred earlier; then C (Z1).
    // Without consolidation the runs would be Z1 Z2 Z1 Z2 … and the trip Z1 → Z1.
    m.onSightings([
      sight(tok(1), 'A', T),
      sight(tok(1), 'B', T + 20 * S),
      sight(tok(1), 'A', T + 30 * S),
      sight(tok(1), 'B', T + 50 * S),
      sight(tok(1), 'A', T + 55 * S),
      sight(tok(1), 'B', T + 80 * S),
    ]);
    const cells = m.flush();
    // A: 0–55 s (midpoint 27.5 s), B: 20–80 s (midpoint 50 s): A then B.
    expect(cells.map((c) => [c.origin, c.destination, c.travelTimeP50S])).toEqual([['Z1', 'Z2', 22.5]]);
  });

  it("randomised addresses: 'skip' (default) leaves them out and counts them, 'keep' matches them", () => {
    const seq = (randomised: boolean) => [
      { ...sight(tok(1), 'A', T), randomised },
      { ...sight(tok(1), 'B', T + 5 * MIN), randomised },
    ];
    const skip = new OdMatcher({ siteZone: { A: 'Z1', B: 'Z2' } });
    skip.onSightings([...seq(true), ...seq(false).map((x) => ({ ...x, token: tok(2) }))]);
    expect(skip.flush().map((c) => c.trips)).toEqual([1]);
    expect(skip.counters().randomised).toBe(2);
    const keep = new OdMatcher({ siteZone: { A: 'Z1', B: 'Z2' }, randomisedAddresses: 'keep' });
    keep.onSightings(seq(true));
    expect(keep.flush().map((c) => c.trips)).toEqual([1]);
    expect(keep.counters().randomised).toBe(0);
  });
});

describe('OdMatcher round trips', () => {
  it('out and back through one zone is a trip origin = destination with the time away; a short stay is none', () => {
    const m = new OdMatcher({ siteZone: { G: 'gate', C1: 'core', C2: 'core', B: 'other' } });
    m.onSightings([
      // Token 1: in through the gate at 07:00 (closest approach), back out 25 min later: a round trip of 25 min.
      sight(tok(1), 'G', T, 'anpr'),
      sight(tok(1), 'G', T + 25 * MIN, 'anpr'),
      // Token 2: the same gate twice, 3 min apart (below 300 s): a stay near the site, no trip.
      sight(tok(2), 'G', T + 2 * MIN, 'anpr'),
      sight(tok(2), 'G', T + 5 * MIN, 'anpr'),
      // Token 3: through one cordon unit of the core and out by another 2 min later: a walk across, no trip.
      sight(tok(3), 'C1', T),
      sight(tok(3), 'C2', T + 2 * MIN),
      // Token 4: the core's unit C1, then C2 12 min later, then C1 again 1 min after: the longest gap (12 min) is
      // the time away (departure at C1 07:00, arrival at C2 07:12).
      sight(tok(4), 'C1', T),
      sight(tok(4), 'C2', T + 12 * MIN),
      sight(tok(4), 'C1', T + 13 * MIN),
    ]);
    const cells = m.flush();
    expect(cells.map((c) => [c.origin, c.destination, c.mode, c.trips, c.travelTimeP50S])).toEqual([
      ['core', 'core', 'all', 1, 720],
      ['gate', 'gate', 'motor', 1, 1500],
    ]);
    expect(m.counters().trips).toBe(2);
    expect(m.counters().roundTrips).toBe(2);
  });

  it('roundTripMinDwellS: 0 drops one-zone sessions (the previous rule); a longer threshold drops short ones', () => {
    const input = [sight(tok(1), 'G', T, 'anpr'), sight(tok(1), 'G', T + 10 * MIN, 'anpr')];
    const off = new OdMatcher({ siteZone: { G: 'gate' }, roundTripMinDwellS: 0 });
    off.onSightings(input);
    expect(off.flush()).toEqual([]);
    const long = new OdMatcher({ siteZone: { G: 'gate' }, roundTripMinDwellS: 900 });
    long.onSightings(input);
    expect(long.flush()).toEqual([]);
    const dflt = new OdMatcher({ siteZone: { G: 'gate' } });
    dflt.onSightings(input);
    expect(dflt.flush().map((c) => c.travelTimeP50S)).toEqual([600]);
    expect(() => new OdMatcher({ roundTripMinDwellS: -1 })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_CONFIG' }),
    );
  });
});

describe('OdMatcher pass-through', () => {
  it('a zone entered by one site and left by another was crossed: that end is (unobserved), unless passThrough = zone', () => {
    const siteZone = { G: 'gate', M1: 'market', M2: 'market', S: 'station' };
    const input = [
      // Token 1: gate, then market in by M1 and out by M2 (crossed), then nothing: destination unobserved.
      sight(tok(1), 'G', T, 'anpr'),
      sight(tok(1), 'M1', T + 2 * MIN, 'anpr'),
      sight(tok(1), 'M2', T + 3 * MIN, 'anpr'),
      // Token 2: gate, then market by M1 only (a trip ending there), a normal trip.
      sight(tok(2), 'G', T, 'anpr'),
      sight(tok(2), 'M1', T + 2 * MIN, 'anpr'),
      // Token 3: crosses the market (M1 → M2) then reaches the station: origin unobserved.
      sight(tok(3), 'M1', T, 'anpr'),
      sight(tok(3), 'M2', T + MIN, 'anpr'),
      sight(tok(3), 'S', T + 4 * MIN, 'anpr'),
    ];
    const m = new OdMatcher({ siteZone });
    m.onSightings(input);
    expect(m.flush().map((c) => [c.origin, c.destination, c.trips])).toEqual([
      ['(unobserved)', 'station', 1],
      ['gate', '(unobserved)', 1],
      ['gate', 'market', 1],
    ]);
    expect(m.counters().unobservedEnds).toBe(2);
    const z = new OdMatcher({ siteZone, passThrough: 'zone' });
    z.onSightings(input);
    expect(z.flush().map((c) => [c.origin, c.destination, c.trips])).toEqual([
      ['gate', 'market', 2],
      ['market', 'station', 1],
    ]);
  });
});

/** The registry → planJunction conversion and the movement-table arithmetic, on hand-built junctions. */
import { describe, expect, it } from 'vitest';
import {
  armBearings,
  groupGreens,
  minutesOf,
  movementTable,
  peakHour,
  planAt,
  type RegistryController,
  toCoreController,
  turnOf,
} from './signals-model.ts';

// A + junction: arms 100 m north, east, south and west of (1.5, 48.45).
const dLat = 100 / 111_320;
const dLon = 100 / (111_320 * Math.cos((48.45 * Math.PI) / 180));
const ARMS = new Map<string, readonly [number, number]>([
  ['n', [1.5, 48.45 + dLat]],
  ['e', [1.5 + dLon, 48.45]],
  ['s', [1.5, 48.45 - dLat]],
  ['w', [1.5 - dLon, 48.45]],
]);

const CTRL: RegistryController = {
  id: 'x',
  siteId: 's',
  name: 'X',
  cameraIds: [],
  signalGroups: [
    {
      id: 'NS',
      movements: [
        { from: 'n', to: 's' },
        { from: 'n', to: 'e' },
      ],
    },
    { id: 'EW', movements: [{ from: 'e', to: 'w' }] },
    { id: 'P', kind: 'pedestrian' },
  ],
  intergreens: [],
  plans: [
    {
      id: 'AM',
      cycleS: 60,
      from: '07:00',
      to: '10:00',
      greens: [
        { group: 'NS', startS: 0, endS: 25 },
        { group: 'P', startS: 0, endS: 8 },
        { group: 'EW', startS: 30, endS: 55 },
      ],
    },
    { id: 'NIGHT', cycleS: 40, from: '22:00', to: '06:00', greens: [{ group: 'NS', startS: 30, endS: 10 }] },
  ],
};

describe('signals model', () => {
  it('turns from arm bearings: north→south straight, north→east left, north→west right, U-turn', () => {
    const b = armBearings(ARMS);
    expect(b.get('n')).toBeCloseTo(0, 6);
    expect(b.get('e')).toBeCloseTo(90, 6);
    // Driving south from the north arm, the east exit is on the driver's left (France: right-hand traffic).
    expect([turnOf(b, 'n', 's'), turnOf(b, 'n', 'e'), turnOf(b, 'n', 'w'), turnOf(b, 'n', 'n')]).toEqual([
      's',
      'l',
      'r',
      't',
    ]);
    expect(turnOf(b, 'e', 'n')).toBe('r');
  });

  it('cuts the plan into phases at every green start and end; groups get their greens back', () => {
    const core = toCoreController(CTRL, CTRL.plans[0], armBearings(ARMS));
    expect(core.links.map((l) => [l.from, l.to, l.lane, l.turn, l.pedestrian ?? false])).toEqual([
      ['n', 's', 'NS|n', 's', false],
      ['n', 'e', 'NS|n', 'l', false],
      ['e', 'w', 'EW|e', 's', false],
      ['P', 'P', 'P', 's', true],
    ]);
    expect(core.phases).toEqual([
      { durationS: 8, state: 'GGrG' },
      { durationS: 17, state: 'GGrr' },
      { durationS: 5, state: 'rrrr' },
      { durationS: 25, state: 'rrGr' },
      { durationS: 5, state: 'rrrr' },
    ]);
    expect(groupGreens(CTRL, core.phases)).toEqual([
      { group: 'NS', kind: 'vehicle', greens: [[0, 25]], maxGreenS: null },
      { group: 'EW', kind: 'vehicle', greens: [[30, 55]], maxGreenS: null },
      { group: 'P', kind: 'pedestrian', greens: [[0, 8]], maxGreenS: null },
    ]);
    // Actuated NS vehicle-only green 17 s (5–34 s) and EW 25 s (5–50 s): NS at most 8 + 34 = 42 s, EW 50 s; the
    // walk phase stays 8 s, so the pedestrian group is not actuated.
    const actuated = core.phases.map((p, i) =>
      i === 1 || i === 3 ? { ...p, minDurS: 5, maxDurS: 2 * p.durationS } : p,
    );
    expect(groupGreens(CTRL, actuated).map((g) => [g.group, g.greens, g.maxGreenS])).toEqual([
      ['NS', [[0, 25]], 42],
      ['EW', [[30, 55]], 50],
      ['P', [[0, 8]], null],
    ]);
    // A green that wraps past the end of the cycle (30 → 10 of 40 s): green 0–10 and 30–40.
    const night = toCoreController(CTRL, CTRL.plans[1], armBearings(ARMS));
    expect(night.phases).toEqual([
      { durationS: 10, state: 'GGrr' },
      { durationS: 20, state: 'rrrr' },
      { durationS: 10, state: 'GGrr' },
    ]);
    expect(groupGreens(CTRL, night.phases)[0].greens).toEqual([
      [0, 10],
      [30, 40],
    ]);
  });

  it('plan in effect by local time, including a window over midnight', () => {
    expect(minutesOf('07:30')).toBe(450);
    expect(planAt(CTRL.plans, 8 * 60, 2)?.id).toBe('AM');
    expect(planAt(CTRL.plans, 23 * 60, 2)?.id).toBe('NIGHT');
    expect(planAt(CTRL.plans, 3 * 60, 2)?.id).toBe('NIGHT');
    expect(planAt(CTRL.plans, 12 * 60, 2)?.id).toBe('AM'); // none in effect: the first plan
  });

  it('peak hour and PHF of 15-minute volumes (textbook: 4 × 100, 4 × 150 → PHF 1; 90/120/150/100 → 0.767)', () => {
    expect(peakHour([10, 20, 90, 120, 150, 100, 30])).toEqual({ index: 2, volume: 460, peak15: 150, phf: 460 / 600 });
    expect(peakHour([150, 150, 150, 150])?.phf).toBe(1);
    expect(peakHour([1, 2, 3])).toBeNull();
    expect(peakHour([0, 0, 0, 0])).toBeNull();
  });

  it('movement table: dense 15-minute grid over the range, counts by class', () => {
    const t0 = Date.parse('2026-03-10T07:00:00Z');
    const row = (m: number, from: string, to: string, mode: string, count: number) => ({
      start: t0 + m * 900_000,
      cameraId: 'c',
      fromZone: from,
      toZone: to,
      mode,
      count,
    });
    const tab = movementTable(
      [row(0, 'n', 's', 'car', 5), row(2, 'n', 's', 'truck', 1), row(2, 'e', 'w', 'car', 3)],
      t0,
      t0 + 3_600_000,
    );
    expect(tab.keys).toEqual(['e>w', 'n>s']);
    expect(tab.modes).toEqual(['car', 'truck']);
    expect(tab.starts).toHaveLength(4);
    expect(tab.counts[2]).toEqual([
      [3, 0],
      [0, 1],
    ]);
    expect(tab.counts[1]).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('registry controllers with lanes, ambers and permitted phases (as imported from a SUMO program)', () => {
  // Two lanes on the north and south arms (kerb: right + straight; inner: straight + left that gives way 0–34 s,
  // protected 34–40 s), one on the east arm, a west-bound group no camera sees, two pedestrian crossings.
  const J: RegistryController = {
    id: 'j',
    siteId: 's',
    name: 'J',
    cameraIds: [],
    signalGroups: [
      {
        id: 'K1',
        amberS: 3,
        movements: [
          { from: 'n', to: 'w', lanes: [0], turn: 'r' },
          { from: 'n', to: 's', lanes: [0, 1], turn: 's' },
        ],
      },
      { id: 'K2', amberS: 3, movements: [{ from: 'n', to: 'e', lanes: [1], turn: 'l' }] },
      { id: 'K3', amberS: 3, movements: [{ from: 'e', to: 'w', lanes: [0], turn: 's' }] },
      { id: 'K4', amberS: 3 },
      { id: 'P1', kind: 'pedestrian' },
    ],
    approaches: [
      { arm: 'n', laneStorageM: [121, 122], fedByJunction: false },
      { arm: 'e', laneStorageM: [80], fedByJunction: true },
    ],
    intergreens: [],
    plans: [
      {
        id: 'sumo-0',
        cycleS: 75,
        greens: [
          { group: 'K1', startS: 0, endS: 34 },
          { group: 'K2', startS: 0, endS: 34, yields: true },
          { group: 'K2', startS: 34, endS: 40 },
          { group: 'K3', startS: 43, endS: 70 },
          { group: 'K4', startS: 43, endS: 70 },
          { group: 'P1', startS: 0, endS: 30 },
        ],
      },
    ],
  };
  const core = toCoreController(J, J.plans[0], armBearings(ARMS));

  it('one link per movement and lane, on lanes shared by arm, with storage and upstream; one for K4', () => {
    expect(core.links.map((l) => [l.from, l.to, l.lane, l.turn, l.storageM, l.fedByJunction])).toEqual([
      ['n', 'w', 'n#0', 'r', 121, false],
      ['n', 's', 'n#0', 's', 121, false],
      ['n', 's', 'n#1', 's', 122, false],
      ['n', 'e', 'n#1', 'l', 122, false],
      ['e', 'w', 'e#0', 's', 80, true],
      ['K4', 'K4', 'K4', 's', undefined, undefined],
      ['P1', 'P1', 'P1', 's', undefined, undefined],
    ]);
  });

  it('phases show g while a turn gives way, G under its arrow, y during each group amber', () => {
    expect(core.phases).toEqual([
      { durationS: 30, state: 'GGGgrrG' },
      { durationS: 4, state: 'GGGgrrr' },
      { durationS: 3, state: 'yyyGrrr' },
      { durationS: 3, state: 'rrrGrrr' },
      { durationS: 3, state: 'rrryrrr' },
      { durationS: 27, state: 'rrrrGGr' },
      { durationS: 3, state: 'rrrryyr' },
      { durationS: 2, state: 'rrrrrrr' },
    ]);
    // the stage diagram: K2's two greens in one bar, K4 shown though no camera counts it
    expect(groupGreens(J, core.phases).map((g) => [g.group, g.greens])).toEqual([
      ['K1', [[0, 34]]],
      ['K2', [[0, 40]]],
      ['K3', [[43, 70]]],
      ['K4', [[43, 70]]],
      ['P1', [[0, 30]]],
    ]);
  });
});

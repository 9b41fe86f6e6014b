import { describe, expect, it } from 'vitest';
import {
  findStages,
  movementKey,
  PRODUCT_PLAN_DEFAULTS,
  planControl,
  planJunction,
  type SignalController,
} from './plan.ts';
import { hcmDelay, permittedLeftCapacity } from './timing.ts';

/** A two-stage cross: links 0 N→S, 1 S→N (stage A), 2 E→W, 3 W→E (stage B), 4 a pedestrian crossing. */
const cross: SignalController = {
  id: 'x',
  links: [
    { index: 0, from: 'n', to: 's', lane: 'n_0', turn: 's' },
    { index: 1, from: 's', to: 'n', lane: 's_0', turn: 's' },
    { index: 2, from: 'e', to: 'w', lane: 'e_0', turn: 's' },
    { index: 3, from: 'w', to: 'e', lane: 'w_0', turn: 's' },
    { index: 4, from: 'ped', to: 'ped', lane: 'c0', turn: 's', pedestrian: true },
  ],
  phases: [
    { durationS: 30, state: 'GGrrG' },
    { durationS: 5, state: 'GGrrr' }, // pedestrian clearance, vehicles still green: an extension of stage A
    { durationS: 4, state: 'yyrrr' },
    { durationS: 30, state: 'rrGGr' },
    { durationS: 4, state: 'rryyr' },
  ],
};
const flows = new Map([
  [movementKey('n', 's'), 600],
  [movementKey('s', 'n'), 500],
  [movementKey('e', 'w'), 300],
  [movementKey('w', 'e'), 200],
]);

describe('planJunction', () => {
  it('finds two stages, the clearance phase as an extension, 8 s of amber + 2 × 2 s start-up lost time (− 2 × 2 s with amber used)', () => {
    const st = findStages(cross);
    expect(st.map((s) => [s.phase, s.extensions])).toEqual([
      [0, [1]],
      [3, []],
    ]);
    expect(planJunction(cross, flows, { amberUsedS: 2 }).lostTimeS).toBe(8);
    const p = planJunction(cross, flows);
    expect(p.lostTimeS).toBe(12);
    expect(p.stages.map((s) => s.criticalLane)).toEqual(['n_0', 'e_0']);
    expect(p.stages[0].criticalY).toBeCloseTo(600 / 1800, 12);
    expect(p.Y).toBeCloseTo(0.5, 12);
  });

  it('Webster: C0 = (1.5·12 + 5) / 0.5 = 46 s; 34 s of effective green shared 2:1 (amber fully lost)', () => {
    const p = planJunction(cross, flows);
    expect(p.websterOptimumS).toBeCloseTo(46, 9);
    expect(p.proposed.cycleS).toBe(46);
    // Stage A: effective 22.67 s + 2 s start-up = 24.67 s displayed: the 7 s walk interval in its pedestrian phase,
    // the rest (17.67 → 18 s) in its vehicle-only phase; stage B 11.33 + 2 → 13 s.
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 18, 4, 13, 4]);
  });

  it("HCM 2000's base saturation flow 1,900: y = 600 / 1900 and 300 / 1900, C0 = 23 / (1 − 0.4737) = 43.7 s", () => {
    const p = planJunction(cross, flows, { baseSaturationPcuH: 1900 });
    expect(p.stages.map((s) => s.criticalY)).toEqual([600 / 1900, 300 / 1900]);
    expect(p.Y).toBeCloseTo(0.473684, 6);
    expect(p.websterOptimumS).toBeCloseTo(23 / (1 - 900 / 1900), 9); // 43.70 s
    // 31.70 s of effective green shared 2:1: stage A 21.13 + 2 = 23.13 s displayed (walk 7 s, vehicle-only 16.13 →
    // 16 s), stage B 10.57 + 2 = 12.57 → 13 s
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 16, 4, 13, 4]);
    expect(p.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationPcuH).toBe(1900);
  });

  it('measured saturation (≥ 30 headways) replaces the HCM default: n_0 1,500 → y 0.4, C0 = 23 / (1 − 0.5579) = 52.0 s', () => {
    const measured = new Map([[movementKey('n', 's'), { pcuH: 1500, headways: 40 }]]);
    const p = planJunction(cross, flows, { baseSaturationPcuH: 1900, measuredSaturation: measured });
    const n0 = p.proposed.lanes.find((l) => l.lane === 'n_0');
    expect([n0?.saturationPcuH, n0?.saturationSource, n0?.measuredHeadways]).toEqual([1500, 'measured', 40]);
    expect(p.current.lanes.find((l) => l.lane === 'e_0')?.saturationSource).toBe('default');
    expect(p.stages.map((s) => s.criticalY)).toEqual([600 / 1500, 300 / 1900]);
    expect(p.websterOptimumS).toBeCloseTo(23 / (1 - 0.4 - 300 / 1900), 9); // 52.02 s
    // 29 headways: under the floor, the default stays
    const few = new Map([[movementKey('n', 's'), { pcuH: 1500, headways: 29 }]]);
    const q = planJunction(cross, flows, { baseSaturationPcuH: 1900, measuredSaturation: few });
    expect(q.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationPcuH).toBe(1900);
    expect(q.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationSource).toBe('default');
  });

  it('a shared lane: straight-on and lefts leaving interleaved at 1,200 and 600 PCU/h: 1,800; lefts (1/3 of the flow) alone → default', () => {
    const shared: SignalController = {
      ...cross,
      links: [...cross.links, { index: 5, from: 'n', to: 'e', lane: 'n_0', turn: 'l' }],
      phases: cross.phases.map((ph, i) => ({ ...ph, state: ph.state + ['g', 'g', 'y', 'r', 'r'][i] })),
    };
    const f = new Map([...flows, [movementKey('n', 's'), 400], [movementKey('n', 'e'), 200]]);
    const both = new Map([
      [movementKey('n', 's'), { pcuH: 1200, headways: 60 }],
      [movementKey('n', 'e'), { pcuH: 600, headways: 35 }],
    ]);
    const p = planJunction(shared, f, { baseSaturationPcuH: 1900, measuredSaturation: both });
    const n0 = p.proposed.lanes.find((l) => l.lane === 'n_0');
    expect([n0?.saturationPcuH, n0?.saturationSource, n0?.measuredHeadways]).toEqual([1800, 'measured', 95]);
    // straight-on alone measured (2/3 of the lane's flow): 1,200 / (2/3) = 1,800
    const straight = new Map([[movementKey('n', 's'), { pcuH: 1200, headways: 60 }]]);
    const q = planJunction(shared, f, { baseSaturationPcuH: 1900, measuredSaturation: straight });
    expect(q.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationPcuH).toBeCloseTo(1800, 9);
    // lefts alone measured: the lane keeps HCM's 1900 / (1 + (1/3)(1/0.6 − 1)) = 1,554.5 (the permitted-left factor)
    const lefts = new Map([[movementKey('n', 'e'), { pcuH: 600, headways: 35 }]]);
    const d = planJunction(shared, f, { baseSaturationPcuH: 1900, measuredSaturation: lefts });
    expect(d.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationPcuH).toBeCloseTo(1554.5, 0);
    expect(d.proposed.lanes.find((l) => l.lane === 'n_0')?.saturationSource).toBe('default');
  });

  it('a movement over two lanes: each lane gets its share of the measured discharge (3,000 over two → 1,500)', () => {
    const two: SignalController = {
      ...cross,
      links: [...cross.links, { index: 5, from: 'n', to: 's', lane: 'n_1', turn: 's' }],
      phases: cross.phases.map((ph, i) => ({ ...ph, state: ph.state + ['G', 'G', 'y', 'r', 'r'][i] })),
    };
    const measured = new Map([[movementKey('n', 's'), { pcuH: 3000, headways: 80 }]]);
    const p = planJunction(two, flows, { baseSaturationPcuH: 1900, measuredSaturation: measured });
    expect(p.proposed.lanes.filter((l) => l.approach === 'n').map((l) => l.saturationPcuH)).toEqual([1500, 1500]);
    // n's lanes at 300 / 1500 = 0.2 each: stage A's critical lane is now s_0 (500 / 1900 = 0.263)
    expect(p.stages[0].criticalLane).toBe('s_0');
    expect(p.stages[0].criticalY).toBeCloseTo(500 / 1900, 12);
  });

  it('with 2 s of amber used (HCM e): C0 = (1.5·8 + 5) / 0.5 = 34 s → 40 s minimum; 32 s shared 2:1', () => {
    const p = planJunction(cross, flows, { amberUsedS: 2 });
    expect(p.websterOptimumS).toBeCloseTo(34, 9);
    // stage A 21.33 s effective = displayed (+2 start-up −2 amber used): walk 7 s, vehicle-only 14.33 → 14 s;
    // stage B 10.67 → 11 s
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 14, 4, 11, 4]);
    expect(p.storageBound).toBe(false);
    expect(p.keptCurrent).toBe(false);
  });

  it('shortens the cycle so 95th-percentile queues fit their lanes (7 m per PCU)', () => {
    // n_0 stores 9.5 PCU (66.5 m); at Webster's 46 s its 95th-percentile queue is longer
    const short: SignalController = {
      ...cross,
      links: cross.links.map((l) => (l.lane === 'n_0' ? { ...l, storageM: 66.5 } : l)),
    };
    const free = planJunction(cross, flows);
    const nFree = free.proposed.lanes.find((l) => l.lane === 'n_0');
    expect(nFree?.queue95Pcu).toBeCloseTo(9.69, 2);
    const p = planJunction(short, flows);
    expect(p.storageBound).toBe(true);
    // the longest cycle below Webster's where 9.36 ≤ 9.5 PCU: 43 s, effective greens 31 s shared 2:1
    expect(p.proposed.cycleS).toBe(43);
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 16, 4, 12, 4]);
    expect(p.proposed.lanes.find((l) => l.lane === 'n_0')?.queue95Pcu).toBeLessThanOrEqual(9.5);
  });

  it('actuated: the vehicle-only green 18 s runs 5–36 s, stage B 13 s runs 5–26 s; walk and ambers stay fixed', () => {
    const p = planJunction(cross, flows, { control: 'actuated' });
    expect(p.proposed.phases.map((x) => [x.durationS, x.minDurS, x.maxDurS])).toEqual([
      [7, undefined, undefined],
      [18, 5, 36],
      [4, undefined, undefined],
      [13, 5, 26],
      [4, undefined, undefined],
    ]);
    expect([planControl(p.current.phases), planControl(p.proposed.phases)]).toEqual(['fixed', 'actuated']);
    // the HCM figures are the fixed-time plan's
    expect(p.proposed.delayS).toBe(planJunction(cross, flows).proposed.delayS);
    // 1.5 × 13 = 19.5 → 20 s; a junction that keeps its current plan is not made actuated
    expect(planJunction(cross, flows, { control: 'actuated', maxGreenFactor: 1.5 }).proposed.phases[3].maxDurS).toBe(
      20,
    );
    const kept = planJunction(cross, flows, { control: 'actuated', minGain: 0.9 });
    expect(kept.keptCurrent).toBe(true);
    expect(kept.proposed.phases).toEqual(cross.phases);
    expect(() => planJunction(cross, flows, { control: 'actuated', maxGreenFactor: 0.5 })).toThrow(/at least 1/);
  });

  it('keeps the current plan when the proposal predicts less than minGain', () => {
    const p = planJunction(cross, flows, { minGain: 0.9 });
    expect(p.keptCurrent).toBe(true);
    expect(p.proposed.phases).toEqual(cross.phases);
    expect(p.proposed.delayS).toBe(p.current.delayS);
    const q = planJunction(cross, flows, { minGain: 0.1 });
    expect(q.keptCurrent).toBe(false);
    expect(q.proposed.delayS).toBeLessThan(0.9 * q.current.delayS);
  });

  it('a light junction gets the minimum cycle (40 s)', () => {
    const light = new Map([...flows].map(([k, v]) => [k, v / 10]));
    expect(planJunction(cross, light).proposed.cycleS).toBe(40);
  });

  it('evaluates both plans with HCM delay per lane and weights approaches by flow', () => {
    const p = planJunction(cross, flows);
    const n = p.current.lanes.find((l) => l.lane === 'n_0');
    expect(n?.greenS).toBe(33); // 30 + 5 displayed − 2 s start-up
    expect(planJunction(cross, flows, { amberUsedS: 2 }).current.lanes.find((l) => l.lane === 'n_0')?.greenS).toBe(35);
    const expected = hcmDelay({ cycleS: 73, greenS: 33, flowPcuH: 600, saturationPcuH: 1800 }).delayS;
    expect(n?.delayS).toBeCloseTo(expected, 9);
    expect(p.current.cycleS).toBe(73);
    // The long current cycle costs delay at these flows; the proposal is shorter and better.
    expect(p.proposed.delayS).toBeLessThan(p.current.delayS);
    const total = 1600;
    const weighted = p.current.lanes.reduce((a, l) => a + l.delayS * l.flowPcuH, 0) / total;
    expect(p.current.delayS).toBeCloseTo(weighted, 9);
    expect(p.current.approaches.map((a) => a.approach).sort()).toEqual(['e', 'n', 's', 'w']);
  });

  it('refuses an inconsistent controller with every problem named', () => {
    const bad: SignalController = { ...cross, phases: [{ durationS: 0, state: 'GG' }] };
    expect(() => planJunction(bad, flows)).toThrow(
      /duration must be > 0.*2 characters for 5 links|2 characters for 5 links.*duration/,
    );
  });

  it('pedestrian minimum green (opt-in): a 12.8 m crossing at 1.2 m/s makes stage A at least 13.87 → 14 s', () => {
    const withCrossing: SignalController = {
      ...cross,
      links: cross.links.map((l) => (l.pedestrian ? { ...l, crossingM: 12.8 } : l)),
    };
    const light = new Map([...flows].map(([k, v]) => [k, v / 10]));
    // shortest cycle: 8 s of amber + stage A (walk 7 + minimum green 5 = 12 s) + stage B 5 s = 25 s …
    expect(planJunction(withCrossing, light, { minCycleS: 20 }).minCycleS).toBe(25);
    // … and 27 s when stage A must last HCM's G_p = 3.2 + 12.8 / 1.2 = 13.87 s
    const p = planJunction(withCrossing, light, { minCycleS: 20, pedestrianSpeedMps: 1.2 });
    expect(p.minCycleS).toBe(27);
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 7, 4, 5, 4]);
    expect(p.stageStartsS).toEqual([0, 18]);
  });
});

describe('spill-back reserve for approaches fed by a junction', () => {
  it('north and south fed by junctions, reserve 0.3: Webster keeps C0 = 46 s, the split weighs stage A 1.3 × 0.333', () => {
    const fed: SignalController = {
      ...cross,
      links: cross.links.map((l) => (l.from === 'n' || l.from === 's' ? { ...l, fedByJunction: true } : l)),
    };
    const p = planJunction(fed, flows, { spillbackReserve: 0.3 });
    expect(p.Y).toBeCloseTo(0.5, 12);
    expect(p.proposed.cycleS).toBe(46);
    // 34 s of effective green shared 0.4333 : 0.1667 → A 24.56 + 2 = 26.56 s displayed (walk 7, then 19.56 → 20 s),
    // B 9.44 + 2 = 11.44 → 11 s (without the reserve: 18 and 13 s)
    expect(p.proposed.phases.map((x) => x.durationS)).toEqual([7, 20, 4, 11, 4]);
    expect(planJunction(fed, flows).proposed.phases.map((x) => x.durationS)).toEqual([7, 18, 4, 13, 4]);
    // delay and X stay on the measured flows: the reserve costs predicted delay at this isolated junction
    expect(p.proposed.delayS).toBeGreaterThan(planJunction(fed, flows).proposed.delayS);
    expect(p.keptCurrent).toBe(false);
  });
});

/** The cross with a shared through + permitted-left lane on the north approach, opposed by the south through. */
const crossLeft: SignalController = {
  id: 'xl',
  links: [
    { index: 0, from: 'n', to: 's', lane: 'n_0', turn: 's' },
    { index: 1, from: 'n', to: 'e', lane: 'n_0', turn: 'l' },
    { index: 2, from: 's', to: 'n', lane: 's_0', turn: 's' },
    { index: 3, from: 'e', to: 'w', lane: 'e_0', turn: 's' },
    { index: 4, from: 'w', to: 'e', lane: 'w_0', turn: 's' },
  ],
  phases: [
    { durationS: 35, state: 'GgGrr' },
    { durationS: 4, state: 'yyyrr' },
    { durationS: 30, state: 'rrrGG' },
    { durationS: 4, state: 'rrryy' },
  ],
};
const leftFlows = new Map([
  [movementKey('n', 's'), 400],
  [movementKey('n', 'e'), 150],
  [movementKey('s', 'n'), 600],
  [movementKey('e', 'w'), 300],
  [movementKey('w', 'e'), 250],
]);

describe('cycle chosen by HCM delay (permitted lefts filtering through opposing flow)', () => {
  it('at C = 60 s the shared lane saturates at 1268.5 PCU/h (hand-computed)', () => {
    const p = planJunction(crossLeft, leftFlows, { cycleChoice: 'delay', cycleS: 60 });
    const n = p.proposed.lanes.find((l) => l.lane === 'n_0');
    // greens: 60 − 8 − 2·2 = 48 s of effective green shared by the critical ratios (Webster's fixed factors):
    // n_0 550 / 1520.5 = 0.3617 and e_0 300 / 1800 = 0.1667 → stage A 32.86 + 2 → 35 s displayed, 33 s effective
    expect(n?.greenS).toBe(33);
    // g_q = 600 · 27 / 1200 = 13.5 s, g_u = 19.5 s, s_f = 831.73/h: c_L = 270.31 + 120 = 390.31/h of cycle,
    // 390.31 · 60 / 33 = 709.7/h of green; P_L = 150 / 550: s = 1 / (0.2727 / 709.7 + 0.7273 / 1800) = 1268.5
    const cL = permittedLeftCapacity({ cycleS: 60, greenS: 33, opposingPcuH: 600, opposingSaturationPcuH: 1800 });
    expect(cL).toBeCloseTo(390.31, 1);
    expect(n?.saturationPcuH).toBeCloseTo(1 / (150 / 550 / ((cL * 60) / 33) + 400 / 550 / 1800), 6);
    expect(n?.saturationPcuH).toBeCloseTo(1268.5, 0);
    // Webster's fixed factor (permitted left ÷ 1.67) would say 1 / (0.2727 · 1.6667 / 1800 + 0.7273 / 1800)
    expect(planJunction(crossLeft, leftFlows).proposed.lanes.find((l) => l.lane === 'n_0')?.saturationPcuH).toBeCloseTo(
      1800 / (1 + (150 / 550) * (1 / 0.6 - 1)),
      6,
    );
  });

  it('keeps the cycle of least predicted delay among 40–120 s', () => {
    const p = planJunction(crossLeft, leftFlows, { cycleChoice: 'delay' });
    const delays = Array.from(
      { length: 81 },
      (_, i) => planJunction(crossLeft, leftFlows, { cycleChoice: 'delay', cycleS: 40 + i }).proposed.delayS,
    );
    const best = delays.indexOf(Math.min(...delays));
    expect(p.proposed.cycleS).toBe(40 + best);
    expect(p.proposed.delayS).toBeCloseTo(delays[best], 9);
    expect(delays[0]).toBeGreaterThan(delays[best]);
    expect(delays[80]).toBeGreaterThan(delays[best]);
  });

  it("near capacity (Y = 1500 / 1800): Webster's 138 s, capped at 120 s, keeps the 73 s plan; least delay retimes at 90 s", () => {
    const heavy = new Map([
      [movementKey('n', 's'), 750],
      [movementKey('s', 'n'), 600],
      [movementKey('e', 'w'), 750],
      [movementKey('w', 'e'), 600],
    ]);
    const w = planJunction(cross, heavy, { minGain: 0.1 });
    expect(w.Y).toBeCloseTo(1500 / 1800, 12);
    expect(w.websterOptimumS).toBeCloseTo(23 / (1 - 1500 / 1800), 9); // 138 s
    expect(w.keptCurrent).toBe(true); // at 120 s it predicts less than 10 % gain over the current 73 s
    expect(w.proposed.cycleS).toBe(73);
    const d = planJunction(cross, heavy, { minGain: 0.1, cycleChoice: 'delay' });
    expect(d.keptCurrent).toBe(false);
    expect(d.proposed.cycleS).toBe(90);
    expect(d.proposed.delayS).toBeLessThan(0.9 * d.current.delayS); // 40.0 s vs 45.7 s
    const delays = Array.from(
      { length: 81 },
      (_, i) => planJunction(cross, heavy, { cycleChoice: 'delay', cycleS: 40 + i }).proposed.delayS,
    );
    expect(d.proposed.delayS).toBeCloseTo(Math.min(...delays), 9);
    // The product's defaults choose the cycle this way (at this test's 1,800 PCU/h): retimed on every path.
    const product = planJunction(cross, heavy, { ...PRODUCT_PLAN_DEFAULTS, baseSaturationPcuH: 1800 });
    expect(product.keptCurrent).toBe(false);
    expect(product.proposed.cycleS).toBe(90);
  });
});

describe('lane choice: a movement served from two lanes', () => {
  /** `crossLeft` with a second, straight-only north lane n_1 (link 5, green with n_0's straight link). */
  const twoLane: SignalController = {
    ...crossLeft,
    id: 'xl2',
    links: [...crossLeft.links, { index: 5, from: 'n', to: 's', lane: 'n_1', turn: 's' }],
    phases: crossLeft.phases.map((p) => ({ ...p, state: p.state + p.state[0] })),
  };
  const lane = (p: ReturnType<typeof planJunction>, id: string) => p.proposed.lanes.find((l) => l.lane === id);

  it('equalise: in through-car equivalents 400 + 150 × 1/0.6 = 650 → 325 per lane: n_1 325, n_0 75 + 150', () => {
    const p = planJunction(twoLane, leftFlows, { laneChoice: 'equalise' });
    expect(lane(p, 'n_1')?.flowPcuH).toBeCloseTo(325, 6);
    expect(lane(p, 'n_0')?.flowPcuH).toBeCloseTo(225, 6);
    // n_0 saturates at 1800 / (1 + (150/225)(1/0.6 − 1)) = 1246.15, so both lanes are at y = 325 / 1800 = 0.1806
    expect(lane(p, 'n_0')?.saturationPcuH).toBeCloseTo(1246.15, 2);
    expect((lane(p, 'n_0')?.flowPcuH ?? 0) / (lane(p, 'n_0')?.saturationPcuH ?? 1)).toBeCloseTo(325 / 1800, 6);
  });

  it('even (default): 200 straight on each lane, n_0 = 350 at 1800 / (1 + (150/350)(2/3)) = 1400 → y 0.25', () => {
    const p = planJunction(twoLane, leftFlows);
    expect(planJunction(twoLane, leftFlows, { laneChoice: 'even' }).proposed).toEqual(p.proposed);
    expect(lane(p, 'n_1')?.flowPcuH).toBeCloseTo(200, 9);
    expect(lane(p, 'n_0')?.flowPcuH).toBeCloseTo(350, 9);
    expect(lane(p, 'n_0')?.saturationPcuH).toBeCloseTo(1400, 9);
  });
});

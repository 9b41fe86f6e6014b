/** The screen's demand writer and keep/revert decision, on hand-computed figures (SUMO behind a table). */
import { describe, expect, it } from 'vitest';
import { demandTripsXml, odDemand, type ScreenRun, screenDecision, zoneEnds } from './screen.ts';

const H = 3_600_000;
const Q = 900_000;
const start = 10.5 * H; // the world starts at 10:30 and lasts an hour

describe('measured demand of the screen', () => {
  it('spreads each hourly OD cell over its quarters in the window by the counted profile', () => {
    const trips = odDemand({
      cells: [
        // 3 trips in the 10:00 hour: only 10:30 and 10:45 are simulated, weights 10 and 30 → 0.75 and 2.25
        { t: 10 * H, origin: 'A', destination: 'B', trips: 3 },
        // 0.6 in the 11:00 hour, no weights for 11:00 / 11:15 → 0.3 each; with the pair's cumulated 3.0, the
        // 4th vehicle (k − ½ = 3.5) departs 0.2 / 0.3 of the way into 11:15
        { t: 11 * H, origin: 'A', destination: 'B', trips: 0.6 },
        // 1.2 trips → 0.3 and 0.9: the first departs where 0.5 is reached, 0.2 / 0.9 into 10:45
        { t: 10 * H, origin: 'B', destination: 'A', trips: 1.2 },
        // zones with no edge, and an hour outside the window: no vehicle
        { t: 10 * H, origin: '(unobserved)', destination: 'B', trips: 8 },
        { t: 9 * H, origin: 'A', destination: 'B', trips: 5 },
      ],
      departEdges: new Map([
        ['A', ['a1', 'a2']],
        ['B', ['b0']],
      ]),
      arriveEdges: new Map([
        ['A', ['a1']],
        ['B', ['b1']],
      ]),
      startMs: start,
      durationS: 3600,
      quarterWeights: new Map([
        [10.5 * H, 10],
        [10.5 * H + Q, 30],
      ]),
      // classes by largest deficit in departure order: 0.75 × 1 → car; 1.5 − 1 = 0.5 vs 0.5 (tie, first) → car;
      // 2.25 − 2 = 0.25 vs 0.75 → truck; 3 − 2 = 1 vs 0 → car; 3.75 − 3 = 0.75 vs 1.25 − 1 = 0.25 → car
      classShares: { car: 3, truck: 1 },
    });
    expect(trips).toEqual([
      { id: 'od0', departS: 600, from: 'a1', to: 'b1', cls: 'car' }, // 0.5 / 0.75 × 900 s
      { id: 'od1', departS: 1100, from: 'b0', to: 'a1', cls: 'car' }, // 900 + 0.2 / 0.9 × 900
      { id: 'od2', departS: 1200, from: 'a2', to: 'b1', cls: 'truck' }, // 900 + (1.5 − 0.75) / 2.25 × 900
      { id: 'od3', departS: 1600, from: 'a1', to: 'b1', cls: 'car' }, // 900 + (2.5 − 0.75) / 2.25 × 900
      { id: 'od4', departS: 3300, from: 'a2', to: 'b1', cls: 'car' }, // 2700 + 0.2 / 0.3 × 900
    ]);
    const xml = demandTripsXml(trips);
    expect(xml).toContain('<vType id="passage-truck" vClass="truck"/>');
    expect(xml).toContain(
      '<trip id="od2" type="passage-truck" depart="1200.0" from="a2" to="b1" departLane="best" departSpeed="max"/>',
    );
    expect(xml.match(/<trip /g)).toHaveLength(5);
  });

  it('departs on no edge leaving the network and arrives on none entering it', () => {
    const edges = [
      { id: 'in', from: 'G', to: 'X' },
      { id: 'out', from: 'X', to: 'G' },
      { id: 'xy', from: 'X', to: 'Y' },
      { id: 'yx', from: 'Y', to: 'X' },
      { id: 'yz', from: 'Y', to: 'Z' },
    ];
    const ends = zoneEnds(
      new Map([
        ['gate', ['in', 'out']],
        ['core', ['xy', 'yx']],
        ['stub', ['out']],
      ]),
      edges,
    );
    expect(ends.departEdges).toEqual(
      new Map([
        ['gate', ['in']],
        ['core', ['xy', 'yx']],
        ['stub', ['out']], // its only edge, kept
      ]),
    );
    expect(ends.arriveEdges.get('gate')).toEqual(['out']);
    expect(ends.arriveEdges.get('core')).toEqual(['xy', 'yx']);
  });
});

/** Screened figures by set of retimed junctions: network mean time loss and approaches, at ×1 and ×1.3. */
const TABLE: Record<string, ScreenRun[]> = {
  '': runs([100, { J1: 60, J2: 50, J3: 40 }], [150, { J1: 90, J2: 80, J3: 70 }]),
  // J2 +4 % / +3.75 % (within 5 %), J3 +28.6 % at ×1.3; the network worse at both demands
  'J1 J2 J3': runs([104, { J1: 30, J2: 52, J3: 30 }], [160, { J1: 50, J2: 83, J3: 90 }]),
  'J1 J2': runs([101, { J1: 31, J2: 50, J3: 40 }], [152, { J1: 52, J2: 80, J3: 70 }]),
  // removing J1 leaves +(−1 % + 0.67 %) = −0.33 % of summed excess, removing J2 −2 % − 0.67 % = −2.67 %: J2 goes
  J2: runs([99, { J1: 60, J2: 51, J3: 40 }], [151, { J1: 90, J2: 81, J3: 70 }]),
  J1: runs([98, { J1: 30, J2: 50, J3: 40 }], [149, { J1: 50, J2: 80, J3: 70 }]),
};

function runs(...xs: [number, Record<string, number>][]): ScreenRun[] {
  return xs.map(([m, a], i) => ({ scale: [1, 1.3][i], meanTimeLossS: m, approachS: a }));
}

const table = async (retimed: readonly string[]) => {
  const r = TABLE[[...retimed].sort().join(' ')];
  if (!r) throw new Error(`no figures for ${retimed.join(' ')}`);
  return r;
};

describe('keep/revert decision of the screen', () => {
  it('reverts the junctions whose approaches got worse, then the retiming whose removal helps the network most', async () => {
    const d = await screenDecision(['J1', 'J2', 'J3'], table);
    expect(d.reverted).toEqual([
      { tls: 'J3', reason: 'approaches' },
      { tls: 'J2', reason: 'network' },
    ]);
    expect(d.kept).toEqual(['J1']);
    expect(d.final).toEqual(TABLE.J1);
    expect(d.evaluated.map((e) => e.retimed.join(' '))).toEqual(['', 'J1 J2 J3', 'J1 J2', 'J2', 'J1']);
  });

  it('with a 3 % tolerance J2 goes for its approaches, and the rest is not worse', async () => {
    const d = await screenDecision(['J1', 'J2', 'J3'], table, { junctionTolerance: 0.03 });
    expect(d.reverted).toEqual([
      { tls: 'J2', reason: 'approaches' },
      { tls: 'J3', reason: 'approaches' },
    ]);
    expect(d.kept).toEqual(['J1']);
    expect(d.evaluated).toHaveLength(3);
  });

  it('reverts every remaining retiming when the budget runs out with the network still worse', async () => {
    const d = await screenDecision(['J1', 'J2', 'J3'], table, { maxSets: 3 });
    expect(d.kept).toEqual([]);
    expect(d.reverted).toEqual([
      { tls: 'J3', reason: 'approaches' },
      { tls: 'J1', reason: 'budget' },
      { tls: 'J2', reason: 'budget' },
    ]);
    expect(d.final).toEqual(TABLE['']);
  });

  it('keeps a proposal the screen shows better everywhere, after two sets', async () => {
    const better = async (retimed: readonly string[]) =>
      retimed.length === 0 ? TABLE[''] : runs([90, { J1: 50, J2: 40, J3: 30 }], [140, { J1: 80, J2: 70, J3: 60 }]);
    const d = await screenDecision(['J1', 'J2', 'J3'], better);
    expect(d.kept).toEqual(['J1', 'J2', 'J3']);
    expect(d.reverted).toEqual([]);
    expect(d.evaluated).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { lineCrossings, parseSumoNet, type RoadEdge, zoneRouteShares } from './routes.ts';

const edge = (
  id: string,
  from: string,
  to: string,
  a: [number, number],
  b: [number, number],
  speed = 10,
): RoadEdge => ({
  id,
  from,
  to,
  shape: [a, b],
  length: Math.hypot(b[0] - a[0], b[1] - a[1]),
  speed,
});
const box = (x0: number, x1: number, y0: number, y1: number): [number, number][] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];

/** One-way S → J, then J → K straight (200 m at `straightSpeed`) or by a detour (300 m at 30 m/s), then K → T. */
const detourNet = (straightSpeed: number): RoadEdge[] => [
  edge('SJ', 'S', 'J', [0, 0], [100, 0]),
  edge('straight', 'J', 'K', [100, 0], [300, 0], straightSpeed),
  {
    id: 'detour',
    from: 'J',
    to: 'K',
    shape: [
      [100, 0],
      [100, 50],
      [300, 50],
      [300, 0],
    ],
    length: 300,
    speed: 30,
  },
  edge('KT', 'K', 'T', [300, 0], [400, 0]),
];

describe('lineCrossings', () => {
  it("counts 'in' from the left of a→b to its right, at the fraction of the polyline's length", () => {
    // Line a→b pointing south at x = 140: its left is the east. A polyline going west crosses it 'in'.
    const line = { id: 'L', a: [140, 10] as const, b: [140, -10] as const };
    expect(
      lineCrossings(
        [
          [200, 0],
          [100, 0],
        ],
        line,
      ),
    ).toEqual([{ at: 0.6, direction: 'in' }]);
    expect(
      lineCrossings(
        [
          [100, 0],
          [150, 0],
          [150, 50],
        ],
        line,
      ),
    ).toEqual([{ at: 0.4, direction: 'out' }]);
    // Beyond the segment's extent: no crossing.
    expect(
      lineCrossings(
        [
          [100, 30],
          [200, 30],
        ],
        line,
      ),
    ).toEqual([]);
  });
});

describe('zoneRouteShares', () => {
  it('a two-way street between dead ends: every pair of start and end edges crosses the line once, U-turns at the ends', () => {
    // W(0,0) — M(100,0) — E(200,0), both directions, 10 m/s. Zone west holds WM and MW, zone east ME and EM.
    // Line L at x = 140 pointing south (its left is the east). west → east, the four pairs of edges: (WM, ME)
    // crosses L at 0.4 of ME, in the first half of the end edge (counted); (WM, EM) through ME then a U-turn at
    // the dead end E, stopping in EM's first half (x 200 → 150, no crossing); (MW, ·) first a U-turn at W. Each
    // crosses L once going east ('out'); east → west symmetrically 'in'.
    const edges = [
      edge('WM', 'W', 'M', [0, 0], [100, 0]),
      edge('MW', 'M', 'W', [100, 0], [0, 0]),
      edge('ME', 'M', 'E', [100, 0], [200, 0]),
      edge('EM', 'E', 'M', [200, 0], [100, 0]),
    ];
    const r = zoneRouteShares(
      edges,
      [
        { id: 'west', polygon: box(0, 100, -10, 10) },
        { id: 'east', polygon: box(100, 200, -10, 10) },
      ],
      [{ id: 'L', a: [140, 10], b: [140, -10] }],
    );
    expect(r.zoneEdges.get('west')).toEqual(['WM', 'MW']);
    expect(r.zoneEdges.get('east')).toEqual(['ME', 'EM']);
    expect(Object.fromEntries(r.shares.get('west\u0000east') ?? [])).toEqual({ 'L|out': 1 });
    expect(Object.fromEntries(r.shares.get('east\u0000west') ?? [])).toEqual({ 'L|in': 1 });
  });

  it('takes the fastest of two routes (length / speed), and gives no share where no path exists', () => {
    // One-way: S→J (zone a), then J→K either straight (200 m) or by a detour along y = 50 (300 m at 30 m/s =
    // 10 s), then K→T (zone b). Line F on the detour, line D on the straight road, both at x = 200.
    const net = detourNet;
    const zones = [
      { id: 'a', polygon: box(0, 100, -10, 10) },
      { id: 'b', polygon: box(300, 400, -10, 10) },
    ];
    const lines = [
      { id: 'F', a: [200, 60] as const, b: [200, 40] as const },
      { id: 'D', a: [200, 10] as const, b: [200, -10] as const },
    ];
    // Straight at 5 m/s: 40 s > 10 s, the detour wins; at 50 m/s: 4 s, the straight road wins.
    expect(Object.fromEntries(zoneRouteShares(net(5), zones, lines).shares.get('a\u0000b') ?? [])).toEqual({
      'F|out': 1,
    });
    const fast = zoneRouteShares(net(50), zones, lines);
    expect(Object.fromEntries(fast.shares.get('a\u0000b') ?? [])).toEqual({ 'D|out': 1 });
    // b → a: T is a dead end without a way back.
    expect(fast.shares.has('b\u0000a')).toBe(false);
  });

  it('records the turning movements of the paths at the junctions asked for (movementsAt)', () => {
    const zones = [
      { id: 'a', polygon: box(0, 100, -10, 10) },
      { id: 'b', polygon: box(300, 400, -10, 10) },
    ];
    // a → b has one pair of edges (SJ, KT): at J it turns onto the detour at 5 m/s, onto the straight at 50 m/s;
    // at K both join KT. Junction S and T are not asked for; no movements without the option.
    const slow = zoneRouteShares(detourNet(5), zones, [], { movementsAt: new Set(['J', 'K']) });
    expect(Object.fromEntries(slow.movements?.get('a\u0000b') ?? [])).toEqual({ 'SJ>detour': 1, 'detour>KT': 1 });
    const fast = zoneRouteShares(detourNet(50), zones, [], { movementsAt: new Set(['J']) });
    expect(Object.fromEntries(fast.movements?.get('a\u0000b') ?? [])).toEqual({ 'SJ>straight': 1 });
    expect(zoneRouteShares(detourNet(50), zones, []).movements).toBeUndefined();
  });

  it('averages the movements over the pairs of start and end edges, U-turns at dead ends included', () => {
    // The two-way street W — M — E: west → east, every one of the 4 pairs passes M once going east (WM>ME);
    // the pairs ending on EM, (WM, EM) and (MW, EM), also turn back at E (ME>EM): 2 pairs of 4.
    const edges = [
      edge('WM', 'W', 'M', [0, 0], [100, 0]),
      edge('MW', 'M', 'W', [100, 0], [0, 0]),
      edge('ME', 'M', 'E', [100, 0], [200, 0]),
      edge('EM', 'E', 'M', [200, 0], [100, 0]),
    ];
    const zones = [
      { id: 'west', polygon: box(0, 100, -10, 10) },
      { id: 'east', polygon: box(100, 200, -10, 10) },
    ];
    const r = zoneRouteShares(edges, zones, [], { movementsAt: new Set(['M', 'E']) });
    expect(Object.fromEntries(r.movements?.get('west\u0000east') ?? [])).toEqual({ 'WM>ME': 1, 'ME>EM': 0.5 });
  });
});

describe("zoneRouteShares by travel mode ('walk', 'cycle')", () => {
  // One-way street W → M → E (100 m each, 15 m/s), zone west around WM, zone east around ME; line L at x = 130
  // pointing south (its left is the east): going east crosses it 'out', going west 'in'.
  const oneWay = [edge('WM', 'W', 'M', [0, 0], [100, 0], 15), edge('ME', 'M', 'E', [100, 0], [200, 0], 15)];
  const zones = [
    { id: 'west', polygon: box(0, 100, -10, 10) },
    { id: 'east', polygon: box(100, 200, -10, 10) },
  ];
  const line = [{ id: 'L', a: [130, 10] as const, b: [130, -10] as const }];

  it('on foot a one-way street is walked both ways; driving (and cycling) east → west has no path', () => {
    const walk = zoneRouteShares(oneWay, zones, line, { travel: 'walk' });
    // West → east: from WM to ME, L at 0.3 of ME; a walk ends uniformly along ME, beyond L (x > 130) with
    // probability 0.7. East → west: ME walked back (its twin, L at 0.7 of it) from a start uniform along it: 0.7.
    expect(Object.fromEntries(walk.shares.get('west\u0000east') ?? [])).toEqual({ 'L|out': 0.7 });
    expect(Object.fromEntries(walk.shares.get('east\u0000west') ?? [])).toEqual({ 'L|in': 0.7 });
    // Cycling ends uniformly along ME too (0.7); driving at the middle of ME (x 150), beyond L: one crossing.
    const cycle = zoneRouteShares(oneWay, zones, line, { travel: 'cycle' });
    expect(Object.fromEntries(cycle.shares.get('west\u0000east') ?? [])).toEqual({ 'L|out': 0.7 });
    expect(Object.fromEntries(zoneRouteShares(oneWay, zones, line).shares.get('west\u0000east') ?? [])).toEqual({
      'L|out': 1,
    });
    expect(zoneRouteShares(oneWay, zones, line).shares.has('east\u0000west')).toBe(false);
    expect(zoneRouteShares(oneWay, zones, line, { travel: 'cycle' }).shares.has('east\u0000west')).toBe(false);
  });

  it('a walk leaves its start edge by the nearer end (no detour through the junction ahead)', () => {
    // Two-way street X(0,0) — Y(100,0), X a dead end; zone a around XY/YX, zone b the stub Y — B(100,-100). Line
    // L2 across the street at x = 30 pointing south (going west: 'in'). Driving a → b from YX's middle (x 50,
    // heading west) means a U-turn at X: across L2 'in' then back 'out'; from XY's middle straight on to Y. Two of
    // the four (start, end) pairs cross L2 both ways: 0.5 each. On foot every start turns round on the spot (its
    // twin) rather than walk to X: no detour, no 'in'; only a walk starting west of L2 (x < 30, 30 % of a start
    // uniform along the street) crosses it, 'out', on its way to Y.
    const net = [
      edge('XY', 'X', 'Y', [0, 0], [100, 0]),
      edge('YX', 'Y', 'X', [100, 0], [0, 0]),
      edge('YB', 'Y', 'B', [100, 0], [100, -100]),
      edge('BY', 'B', 'Y', [100, -100], [100, 0]),
    ];
    const z = [
      { id: 'a', polygon: box(0, 100, -10, 10) },
      { id: 'b', polygon: box(90, 110, -100, -20) },
    ];
    const l2 = [{ id: 'L2', a: [30, 10] as const, b: [30, -10] as const }];
    expect(Object.fromEntries(zoneRouteShares(net, z, l2).shares.get('a\u0000b') ?? [])).toEqual({
      'L2|in': 0.5,
      'L2|out': 0.5,
    });
    const walk = zoneRouteShares(net, z, l2, { travel: 'walk' });
    expect(walk.zoneEdges.get('a')).toEqual(['XY', 'YX']);
    expect(Object.fromEntries(walk.shares.get('a\u0000b') ?? [['none', 1]])).toEqual({ 'L2|out': 0.3 });
  });

  it('cycling: at most 5.5 m/s, so a shorter slow street beats a longer fast one', () => {
    // J → K straight (200 m at 5 m/s: 40 s by any mode) or a detour (300 m at 30 m/s: 10 s driving, 54.5 s cycling).
    const net = detourNet(5);
    const z = [
      { id: 'a', polygon: box(0, 100, -10, 10) },
      { id: 'b', polygon: box(300, 400, -10, 10) },
    ];
    const lines = [
      { id: 'F', a: [200, 60] as const, b: [200, 40] as const },
      { id: 'D', a: [200, 10] as const, b: [200, -10] as const },
    ];
    expect(Object.fromEntries(zoneRouteShares(net, z, lines).shares.get('a\u0000b') ?? [])).toEqual({ 'F|out': 1 });
    expect(
      Object.fromEntries(zoneRouteShares(net, z, lines, { travel: 'cycle' }).shares.get('a\u0000b') ?? []),
    ).toEqual({ 'D|out': 1 });
  });
});

describe('parseSumoNet', () => {
  it('reads vehicle edges (sidewalk lanes and internal edges left out), extended to the junction centres', () => {
    const xml = `<net><location netOffset="0.00,0.00" projParameter="!"/>
      <edge id=":J_0" function="internal"><lane id=":J_0_0" index="0" speed="5" length="3" shape="0,0 1,1"/></edge>
      <edge id="a-b" from="a" to="b" priority="1">
        <lane id="a-b_0" index="0" allow="pedestrian" speed="13.89" length="90.00" shape="5,-4 95,-4"/>
        <lane id="a-b_1" index="1" disallow="pedestrian" speed="13.89" length="90.00" shape="5,-1.6 95,-1.6"/>
      </edge>
      <edge id="walk" from="b" to="a"><lane id="walk_0" index="0" allow="pedestrian" speed="2" length="90" shape="95,4 5,4"/></edge>
      <junction id="a" type="dead_end" x="0.00" y="0.00"/><junction id="b" type="priority" x="100.00" y="0.00"/>
    </net>`;
    const r = parseSumoNet(xml);
    expect(r.projParameter).toBe('!');
    expect(r.edges).toEqual([
      {
        id: 'a-b',
        from: 'a',
        to: 'b',
        shape: [
          [0, 0],
          [5, -1.6],
          [95, -1.6],
          [100, 0],
        ],
        length: 90,
        speed: 13.89,
      },
    ]);
    // People walk the street (its sidewalk: shaped like the street) and the footpath (its own lane); nothing here
    // allows bicycles but the street's vehicle lane (no allow list, pedestrians only disallowed).
    expect(r.walkEdges.map((e) => [e.id, e.shape.length, e.speed])).toEqual([
      ['a-b', 4, 13.89],
      ['walk', 4, 2],
    ]);
    expect(r.walkEdges[1].shape).toEqual([
      [100, 0],
      [95, 4],
      [5, 4],
      [0, 0],
    ]);
    expect(r.cycleEdges.map((e) => e.id)).toEqual(['a-b']);
  });
});

describe('zoneRouteShares endShares', () => {
  it('sets apart the crossings of lines inside the pair’s own end zones, not those of zones passed through', () => {
    // One-way S → J → K → T along y = 0: O holds SJ (midpoint x 50), X holds JK (200), D holds KT (350). Lines
    // pointing south (eastbound traffic crosses them 'out'): N at x 90 inside O, Q at x 150 inside X, M at x 250
    // in no zone. O → D: N (in O, its origin), Q (in X, passed through) and M; O → X: N and Q, both in its end
    // zones; X → D: M only (Q lies behind the middle of JK, where the trip starts).
    const net = [
      edge('SJ', 'S', 'J', [0, 0], [100, 0]),
      edge('JK', 'J', 'K', [100, 0], [300, 0]),
      edge('KT', 'K', 'T', [300, 0], [400, 0]),
    ];
    const zones = [
      { id: 'O', polygon: box(0, 100, -10, 10) },
      { id: 'X', polygon: box(100, 220, -10, 10) },
      { id: 'D', polygon: box(300, 400, -10, 10) },
    ];
    const line = (id: string, x: number) => ({ id, a: [x, 10] as const, b: [x, -10] as const });
    const r = zoneRouteShares(net, zones, [line('N', 90), line('Q', 150), line('M', 250)]);
    const get = (m: Map<string, Map<string, number>>, o: string, d: string) =>
      Object.fromEntries(m.get(`${o}\u0000${d}`) ?? []);
    expect(get(r.shares, 'O', 'D')).toEqual({ 'N|out': 1, 'Q|out': 1, 'M|out': 1 });
    expect(get(r.endShares, 'O', 'D')).toEqual({ 'N|out': 1 });
    expect(get(r.shares, 'O', 'X')).toEqual({ 'N|out': 1, 'Q|out': 1 });
    expect(get(r.endShares, 'O', 'X')).toEqual({ 'N|out': 1, 'Q|out': 1 });
    expect(get(r.shares, 'X', 'D')).toEqual({ 'M|out': 1 });
    expect(r.endShares.has('X\u0000D')).toBe(false);
  });
});

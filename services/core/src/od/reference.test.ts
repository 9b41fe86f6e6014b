import { describe, expect, it } from 'vitest';
import { counterOdMode, deriveCameraArmReferences, deriveOdReference } from './reference.ts';

// A town around (0, 0): a gate road to the east (x 0.004–0.006), the centre, and a district.
const zones = [
  {
    id: 'gate-e',
    kind: 'gate',
    polygon: [
      [0.004, -0.0002],
      [0.006, -0.0002],
      [0.006, 0.0002],
      [0.004, 0.0002],
    ],
  },
  {
    id: 'core',
    kind: 'core',
    polygon: [
      [-0.001, -0.001],
      [0.001, -0.001],
      [0.001, 0.001],
      [-0.001, 0.001],
    ],
  },
  {
    id: 'dist',
    kind: 'district',
    polygon: [
      [-0.003, 0.002],
      [0.001, 0.002],
      [0.001, 0.003],
      [-0.003, 0.003],
    ],
  },
] as { id: string; kind: string; polygon: [number, number][] }[];
const MOTOR = ['car', 'van', 'truck', 'bus', 'motorcycle'];

describe('deriveOdReference', () => {
  it('maps counters in single-access zones to origin/destination margins with the leaving direction', () => {
    const refs = deriveOdReference(zones, [
      // a→b northwards at x = 0.005: left → right = eastwards ('in'), away from the town: 'out' is leaving.
      { id: 'loop-e', modes: MOTOR, line: { a: [0.005, -0.0001], b: [0.005, 0.0001] } },
      // Same place, drawn southwards: 'in' = westwards = towards the town = leaving the gate.
      { id: 'tel-e', modes: ['pedestrian', 'bicycle', ...MOTOR], line: { a: [0.005, 0.0001], b: [0.005, -0.0001] } },
      // Pedestrian-only counter: no OD group.
      { id: 'ped-e', modes: ['pedestrian'], line: { a: [0.005, -0.0001], b: [0.005, 0.0001] } },
      // In the core (not single-access): skipped.
      { id: 'loop-c', modes: MOTOR, line: { a: [0, -0.0001], b: [0, 0.0001] } },
      // Outside every zone: skipped.
      { id: 'loop-x', modes: MOTOR, line: { a: [0.003, -0.0001], b: [0.003, 0.0001] } },
    ]);
    expect(refs).toEqual([
      { zone: 'gate-e', margin: 'origin', sensorId: 'loop-e', direction: 'out', odMode: 'motor', factor: 1 },
      { zone: 'gate-e', margin: 'destination', sensorId: 'loop-e', direction: 'in', odMode: 'motor', factor: 1 },
      { zone: 'gate-e', margin: 'origin', sensorId: 'tel-e', direction: 'in', odMode: 'all', factor: 1 },
      { zone: 'gate-e', margin: 'destination', sensorId: 'tel-e', direction: 'out', odMode: 'all', factor: 1 },
    ]);
  });

  it('needs polygons and lines', () => {
    expect(deriveOdReference([{ id: 'a' }, { id: 'b' }], [{ id: 'l', modes: MOTOR }])).toEqual([]);
    expect(counterOdMode(['bicycle'])).toBeNull();
    expect(counterOdMode(['car', 'bus'])).toBe('motor');
    expect(counterOdMode(undefined)).toBeNull();
  });
});

describe('deriveCameraArmReferences', () => {
  // Local metres around (1.36, 48.73): x east, y north.
  const P = (x: number, y: number): [number, number] => [1.36 + x / 73_400, 48.73 + y / 111_195];
  const box = (x0: number, y0: number, x1: number, y1: number) => [P(x0, y0), P(x1, y0), P(x1, y1), P(x0, y1)];
  const zones = [
    { id: 'gate-w', kind: 'gate', polygon: box(-200, -15, -30, 15) }, // 18 m beyond the west arm
    { id: 'market', kind: 'square', polygon: box(5, 5, 150, 150) }, // north-east quarter: the n and e arms lie in it
    { id: 'station', kind: 'station', polygon: box(-15, -300, 15, -150) }, // 140 m south: too far
  ];
  // A junction at (0, 0); arms 12 m out, each line drawn so that left → right is towards the junction ('in').
  const camera = {
    id: 'cam',
    lines: [
      { id: 'cam:l-w', a: P(-12, -5), b: P(-12, 5) }, // a→b north: right-hand normal east = towards the junction
      { id: 'cam:l-s', a: P(5, -12), b: P(-5, -12) },
      { id: 'cam:l-n', a: P(-5, 12), b: P(5, 12) },
      { id: 'cam:l-e', a: P(12, 5), b: P(12, -5) },
    ],
  };

  it('takes the arm leading into a single-access zone as its origin (in) and destination (out) margins', () => {
    const refs = deriveCameraArmReferences(zones, [camera]);
    expect(refs.map((r) => [r.zone, r.margin, r.sensorId, r.direction, r.odMode])).toEqual([
      ['gate-w', 'origin', 'cam:l-w', 'in', 'motor'],
      ['gate-w', 'destination', 'cam:l-w', 'out', 'motor'],
    ]);
    // Motor classes only: people on foot cross an arm's line along the street, not only to and from the zone.
    expect(refs[0].modes).toEqual(['car', 'van', 'truck', 'bus', 'motorcycle']);
  });

  it('follows the line as drawn: reversed a→b swaps in and out', () => {
    const reversed = { id: 'cam2', lines: camera.lines.map((l) => ({ ...l, a: l.b, b: l.a })) };
    const refs = deriveCameraArmReferences(zones, [reversed]);
    expect(refs.find((r) => r.margin === 'origin')?.direction).toBe('out');
  });

  it('leaves margins a counter already gives to the counter', () => {
    const refs = deriveCameraArmReferences(zones, [camera], new Set(['gate-w|origin|motor']));
    expect(refs.map((r) => [r.margin, r.direction])).toEqual([['destination', 'out']]);
  });
});

import { describe, expect, it } from 'vitest';
import { counterOdMode, deriveOdReference } from './reference.ts';

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

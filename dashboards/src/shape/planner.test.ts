import { describe, expect, it } from 'vitest';
import type { OdFlow } from './od.ts';
import { change, flowsAt, flowsCsv, odMatrix, stepMax, totalFlow, zoneSummary } from './planner.ts';

const f = (t: number, origin: string, destination: string, expanded: number, observed = expanded / 2): OdFlow => ({
  t,
  origin,
  destination,
  observed,
  expanded,
  stdErr: 1,
  ci95: [observed, expanded + 2],
  travelTimeP50S: 100,
  travelTimeP85S: 150,
  method: 'probe-expanded',
});

const flows = [f(0, 'a', 'b', 10), f(0, 'b', 'a', 4), f(0, 'c', 'a', 6), f(900, 'a', 'b', 20), f(900, 'a', 'a', 3)];

describe('planner shaping', () => {
  it('sums a period per pair, and keeps one step as it is', () => {
    const all = flowsAt(flows, undefined);
    expect(all).toHaveLength(4);
    const ab = all.find((x) => x.origin === 'a' && x.destination === 'b');
    expect(ab?.expanded).toBe(30);
    expect(ab?.observed).toBe(15);
    expect(ab?.stdErr).toBeCloseTo(Math.SQRT2, 6);
    expect(ab?.ci95[0]).toBeCloseTo(30 - 1.959964 * Math.SQRT2, 9);
    expect(ab?.ci95[1]).toBeCloseTo(30 + 1.959964 * Math.SQRT2, 9);
    // An unexpanded cell has no upper bound: nor has the sum.
    const open = flowsAt([f(0, 'a', 'b', 10), { ...f(900, 'a', 'b', 1), ci95: [0.5, null] }], undefined);
    expect(open[0].ci95[1]).toBeNull();
    expect(flowsAt(flows, 900)).toHaveLength(2);
    expect(totalFlow(all)).toBe(43);
    // The fixed scale is the largest zone-to-zone flow of any step (not of the summed period, not a self-flow).
    expect(stepMax(flows)).toBe(20);
  });

  it('gives a zone its incoming and outgoing flows with shares by origin', () => {
    const s = zoneSummary(flowsAt(flows, undefined), 'a');
    expect(s.incoming).toBe(10);
    expect(s.outgoing).toBe(30);
    expect(s.internal).toBe(3);
    expect(s.byOrigin).toEqual([
      { zone: 'c', flow: 6, share: 0.6 },
      { zone: 'b', flow: 4, share: 0.4 },
    ]);
    expect(s.byDestination).toEqual([{ zone: 'b', flow: 30, share: 1 }]);
  });

  it('builds the OD matrix with totals, and the CSV of the flows shown', () => {
    const m = odMatrix(flowsAt(flows, 0), ['a', 'b', 'c']);
    expect(m.cells).toEqual([
      [null, 10, null],
      [4, null, null],
      [6, null, null],
    ]);
    expect(m.rowTotals).toEqual([10, 4, 6]);
    expect(m.colTotals).toEqual([10, 10, 0]);
    expect(m.total).toBe(20);
    expect(change(12, 10)).toBeCloseTo(0.2, 9);
    expect(change(1, 0)).toBeNull();
    const names = new Map([['a', 'Centre; gare']]);
    const csv = flowsCsv([f(0, 'a', 'b', 2.5)], names, { from: 0, to: 3_600_000 }, { excel: true });
    expect(csv.startsWith('\ufefffrom;to;')).toBe(true);
    expect(csv.split('\r\n')[1]).toBe(
      '1970-01-01T00:00:00.000Z;1970-01-01T01:00:00.000Z;a;"Centre; gare";b;b;2,5;1,25',
    );
    expect(flowsCsv([f(0, 'a', 'b', 2.5)], names, { from: 0, to: 1 }).split('\r\n')[1]).toContain(',2.5,1.25');
  });
});

import { describe, expect, it } from 'vitest';
import { estimateZoneOd, UNOBSERVED_ZONE } from './zones.ts';

const cell = (origin: string, destination: string, prior: number, variance = prior) => ({
  origin,
  destination,
  prior,
  variance,
  observed: prior / 2,
});

describe('estimateZoneOd', () => {
  it('keeps the trips of an unobserved zone apart (residual cells) instead of spreading them over observed cells', () => {
    // Truth: A→B 100, B→A 80, A→C 60, C→B 40; C has neither probe nor counter. Probes see A and B (priors exact
    // up to Poisson), the counters count A's and B's totals, which include C's trips.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100), cell('B', 'A', 80)],
      totals: [
        { zone: 'A', side: 'origin', total: 160 },
        { zone: 'B', side: 'origin', total: 80 },
        { zone: 'A', side: 'destination', total: 80 },
        { zone: 'B', side: 'destination', total: 140 },
      ],
    });
    const get = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(r.zones.map((z) => [z.zone, z.status])).toEqual([
      ['A', 'observed'],
      ['B', 'observed'],
      ['C', 'unobserved'],
    ]);
    expect(r.cells.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
    expect(Math.abs((get('A', 'B')?.estimate ?? 0) - 100)).toBeLessThan(2);
    expect(Math.abs((get('B', 'A')?.estimate ?? 0) - 80)).toBeLessThan(2);
    expect(get('A', UNOBSERVED_ZONE)?.status).toBe('residual');
    expect(Math.abs((get('A', UNOBSERVED_ZONE)?.estimate ?? 0) - 60)).toBeLessThan(2);
    expect(Math.abs((get(UNOBSERVED_ZONE, 'B')?.estimate ?? 0) - 40)).toBeLessThan(2);
    // Matched share of A: probes matched 50 + 40 trips on its counted row and column (160 + 80).
    expect(r.zones[0].matchedShare).toBeCloseTo(90 / 240, 6);
    // The interval of an observed cell holds its truth.
    const ab = get('A', 'B');
    expect(ab && ab.lower95 <= 100 && ab.upper95 >= 100).toBe(true);
  });

  it('a zone without probes but with counts is estimated from them (weak gravity prior, wide interval)', () => {
    // C is counted (origin 50, destination 30) but has no probe: its cells come from its totals.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100), cell('B', 'A', 100)],
      totals: [
        { zone: 'A', side: 'origin', total: 115 },
        { zone: 'B', side: 'origin', total: 115 },
        { zone: 'C', side: 'origin', total: 50 },
        { zone: 'C', side: 'destination', total: 30 },
      ],
    });
    const c = r.cells.filter((x) => x.origin === 'C');
    expect(r.zones.find((z) => z.zone === 'C')?.status).toBe('estimated');
    expect(c.every((x) => x.status === 'estimated')).toBe(true);
    expect(Math.abs(c.reduce((a, x) => a + x.estimate, 0) - 50)).toBeLessThan(2);
    const toC = r.cells.filter((x) => x.destination === 'C');
    expect(Math.abs(toC.reduce((a, x) => a + x.estimate, 0) - 30)).toBeLessThan(2);
    // No unobserved zone: no residual cell.
    expect(r.cells.some((x) => x.status === 'residual')).toBe(false);
    // Estimated cells carry wide intervals.
    for (const x of c) expect(x.upper95 - x.lower95).toBeGreaterThan(0.5 * x.estimate);
  });
});

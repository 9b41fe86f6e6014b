import { describe, expect, it } from 'vitest';
import { THREE_ZONE_TRUTH, threeZoneShares } from './fixtures/three-zones.ts';
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

  it('with line counts and route shares, a zone without probes is estimated from what its lines count', () => {
    // Truth: A→B 100, B→A 80, A→C 60, B→C 40, C→A 30, C→B 20. Probes see A and B (priors exact, small variance);
    // the zone totals count A (origin 160, destination 110) and B (origin 120, destination 120); C has neither a
    // probe nor a counter but one line on its access road counts what enters it (100) and leaves it (50).
    // Unknowns AB, BA, AC, BC, CA, CB; six counts of rank five (Σ origins + out = Σ destinations + in); the probe
    // priors of AB and BA fix the remaining degree of freedom: AC = 160 − 100, BC = 120 − 80, CA = 110 − 80,
    // CB = 120 − 100.
    const shares = threeZoneShares('L');
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100, 4), cell('B', 'A', 80, 4)],
      totals: [
        { zone: 'A', side: 'origin', total: 160 },
        { zone: 'A', side: 'destination', total: 110 },
        { zone: 'B', side: 'origin', total: 120 },
        { zone: 'B', side: 'destination', total: 120 },
      ],
      links: {
        shares,
        counts: [
          { key: 'L|in', value: 100 },
          { key: 'L|out', value: 50 },
        ],
      },
    });
    const get = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(r.zones.map((z) => [z.zone, z.status])).toEqual([
      ['A', 'observed'],
      ['B', 'observed'],
      ['C', 'estimated'],
    ]);
    for (const [o, d, t] of THREE_ZONE_TRUTH) {
      const c = get(o, d);
      expect(c?.status).toBe(o === 'C' || d === 'C' ? 'estimated' : 'observed');
      expect(Math.abs((c?.estimate ?? 0) - t)).toBeLessThan(3);
      expect(c && c.lower95 <= t && c.upper95 >= t).toBe(true);
    }
    // No round trip is estimated for the unprobed zone, and nothing is residual.
    expect(get('C', 'C')).toBeUndefined();
    expect(r.cells.some((c) => c.status === 'residual')).toBe(false);
  });

  it('with line counts, a zone no count sees stays unobserved: its cells go to the residual cells, not to others', () => {
    // As above plus zone D: no probe, no counter, no line on its routes. Its cells keep their uninformative prior
    // (the counts reduce their variance by less than 30 % on average: 0 here, while C's four counted cells of six
    // lose about half of theirs), so D is refused and its estimates are summed into
    // (zone, (unobserved)) cells; the estimated zone C keeps its own cells.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C', 'D'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100, 4), cell('B', 'A', 80, 4)],
      totals: [],
      links: {
        shares: threeZoneShares('L'),
        counts: [
          { key: 'L|in', value: 100 },
          { key: 'L|out', value: 50 },
        ],
      },
    });
    const status = Object.fromEntries(r.zones.map((z) => [z.zone, z.status]));
    expect(status).toEqual({ A: 'observed', B: 'observed', C: 'estimated', D: 'unobserved' });
    expect(r.cells.some((c) => c.origin === 'D' || c.destination === 'D')).toBe(false);
    const res = r.cells.filter((c) => c.status === 'residual').map((c) => `${c.origin}>${c.destination}`);
    expect(res.sort()).toEqual(
      [
        `A>${UNOBSERVED_ZONE}`,
        `B>${UNOBSERVED_ZONE}`,
        `C>${UNOBSERVED_ZONE}`,
        `${UNOBSERVED_ZONE}>A`,
        `${UNOBSERVED_ZONE}>B`,
        `${UNOBSERVED_ZONE}>C`,
      ].sort(),
    );
    // C's inbound cells A→C and B→C: prior t̄ = (100 + 80) / 2 = 90 each, variance 90² = 8,100; the count 100 has
    // variance 100 + (0.1 · 100)² = 200, so their sum moves from 180 by 16,200 / (16,200 + 200) of the misfit −80.
    const into = r.cells.filter((c) => c.destination === 'C' && c.origin !== UNOBSERVED_ZONE);
    expect(into.reduce((a, c) => a + c.estimate, 0)).toBeCloseTo(180 - (80 * 16_200) / 16_400, 6);
  });
});

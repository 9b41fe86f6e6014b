import { describe, expect, it } from 'vitest';
import { beforeAfter, injectEffect } from './before-after.ts';
import { dayOf, type HourlyGrid } from './grid.ts';
import { nnls } from './synthetic.ts';

const col = (...v: number[]) => Float64Array.from(v);

describe('nnls (synthetic control weights)', () => {
  it('recovers exact non-negative weights and leaves an unrelated column at 0', () => {
    // y = 2·a + 0.5·b; c is orthogonal to the fit's residual
    const a = col(1, 2, 3, 4);
    const b = col(4, 1, 0, 2);
    const c = col(1, -1, 1, -1);
    const y = a.map((v, i) => 2 * v + 0.5 * b[i]);
    const w = nnls([a, b, c], y);
    expect(w[0]).toBeCloseTo(2, 9);
    expect(w[1]).toBeCloseTo(0.5, 9);
    expect(w[2]).toBeCloseTo(0, 9);
  });
  it('clips a weight least squares would make negative: LS (4/3, −2/3), NNLS (1, 0)', () => {
    // rows (1,0), (1,1), (0,1) with y (1, 1, −1): unconstrained 2w1 + w2 = 2, w1 + 2w2 = 0
    const w = nnls([col(1, 1, 0), col(0, 1, 1)], col(1, 1, -1));
    expect(w[0]).toBeCloseTo(1, 9);
    expect(w[1]).toBe(0);
  });
  it('ridge shrinks: one column (1, 1), y (2, 2), λ = 0.5 → w = 4 / (2 + 0.5·2) = 4/3', () => {
    expect(nnls([col(1, 1)], col(2, 2), 0.5)[0]).toBeCloseTo(4 / 3, 12);
  });
});

/** A hand-made grid: site s = 0.6·a + 0.4·b every hour; c moves on its own. */
function handGrid(): HourlyGrid {
  const days = 150;
  const hourly = (f: (d: number) => number) => {
    const v = new Float64Array(days * 24);
    for (let d = 0; d < days; d++)
      for (let h = 0; h < 24; h++) v[d * 24 + h] = f(d) * (1 + Math.sin((h / 24) * Math.PI));
    return v;
  };
  const wd = (d: number) => (d % 7 >= 5 ? 0.7 : 1);
  const a = hourly((d) => 1000 * wd(d) * (1 + 0.2 * Math.sin(d / 6)));
  const b = hourly((d) => 600 * (1 + 0.3 * Math.cos(d / 9)) * (d % 7 === 5 ? 1.4 : 1));
  const c = hourly((d) => 800 * (1 + 0.25 * Math.sin(d / 3 + 1)) * ((d * 7919) % 13 > 6 ? 1.1 : 0.9));
  const s = a.map((x, i) => 0.6 * x + 0.4 * b[i]);
  return { timeZone: 'UTC', firstDay: dayOf('2025-01-06'), days, sensors: ['a', 'b', 'c', 's'], values: [a, b, c, s] };
}

describe('before/after by synthetic control, hand-made grid', () => {
  const g = handGrid();
  const day = 112;
  it('finds the weights 0.6 and 0.4, no effect without intervention, exactly +15 % with one', () => {
    const r = beforeAfter(g, { site: ['s'], day });
    if (!r) throw new Error('no estimate');
    expect(r.windows).toEqual([28, 56, 84]);
    expect(r.controls).toEqual(['a', 'b']);
    expect(r.weights[0]).toBeCloseTo(0.6, 6);
    expect(r.weights[1]).toBeCloseTo(0.4, 6);
    expect(r.uplift).toBeCloseTo(0, 9);
    expect(r.counterfactual).toBeCloseTo(r.actual, 3);
    const i = beforeAfter(injectEffect(g, 's', day, day + 28, 1.15), { site: ['s'], day });
    if (!i) throw new Error('no estimate');
    expect(i.uplift).toBeCloseTo(0.15, 9);
    expect(i.actual).toBeCloseTo(1.15 * r.actual, 3);
  });
  it("keeps an in-space placebo only if its own pre-period fit is within spaceFitRatio of the site's", () => {
    // the site is reproduced exactly (residual SD ≈ 0); a and b treated as the site are not, so by default
    // (ratio 2, Abadie et al. 2010) they are left out, and counted without the rule
    const strict = beforeAfter(g, { site: ['s'], day });
    const loose = beforeAfter(g, { site: ['s'], day, spaceFitRatio: Number.POSITIVE_INFINITY });
    if (!strict || !loose) throw new Error('no estimate');
    expect(strict.residualSd).toBeLessThan(1e-6);
    expect(strict.spacePlacebosUsed).toBe(0);
    expect(loose.spacePlacebosUsed).toBe(2);
    // in time: weekly dates whose post period ends before the date and that still have a 28-day window
    expect(strict.placebosUsed).toBe(9);
    expect(loose.placebosUsed).toBe(11);
    expect(loose.hi - loose.lo).toBeGreaterThan(strict.hi - strict.lo);
  });
  it('uses the windows the data has, and one window with preDays', () => {
    expect(beforeAfter(g, { site: ['s'], day: 60 })?.windows).toEqual([28, 56]);
    expect(beforeAfter(g, { site: ['s'], day: 60, preDays: 42 })?.windows).toEqual([42]);
    expect(beforeAfter(g, { site: ['s'], day: 20 })).toBeNull();
  });
});

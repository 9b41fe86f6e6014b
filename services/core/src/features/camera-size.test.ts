import { describe, expect, it } from 'vitest';
import { CAR_VOTE_MIN, CameraSizeReference, SIZE_MAX_COUNT, SIZE_PRIOR_WEIGHT } from './camera-size.ts';
import { FEATURE_COUNT, FEATURE_NAMES, SIZE_PRIOR_M } from './track-features.ts';

const f = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);

/** One feature row: ground width and height (m) and the vote share `car`. */
function row(widthM: number, heightM: number, voteCar = 1): Float32Array {
  const v = new Float32Array(FEATURE_COUNT);
  v[f('width_m')] = widthM;
  v[f('height_m')] = heightM;
  v[f('vote_car')] = voteCar;
  return v;
}

describe('CameraSizeReference', () => {
  it('sizes the first track against the prior, then shrinks the cars median towards it', () => {
    expect(SIZE_PRIOR_M).toEqual({ width: 3.8, height: 2.3 });
    expect(SIZE_PRIOR_WEIGHT).toBe(10);
    const ref = new CameraSizeReference();
    const first = row(4.19, 2.53);
    ref.apply('cam-a', first);
    expect(first[f('width_rel')]).toBeCloseTo(4.19 / 3.8, 5); // 1.1026
    expect(first[f('height_rel')]).toBeCloseTo(2.53 / 2.3, 5); // 1.1
    // One car in the 4.18–4.20 m bin: its median is the bin's middle, 4.19; (1·4.19 + 10·3.8) / 11 = 3.8354.
    expect(ref.reference('cam-a').width).toBeCloseTo((4.19 + 38) / 11, 5);
    expect(ref.reference('cam-a').height).toBeCloseTo((2.53 + 23) / 11, 5);
  });

  it('gives a van its size relative to the cars of its own camera', () => {
    const ref = new CameraSizeReference();
    for (let i = 0; i < 30; i++) ref.apply('cam-a', row(4.01, 2.01)); // 30 cars in the 4.00–4.02 m bin
    // Median 4.01 (the bin's middle); (30·4.01 + 10·3.8) / 40 = 3.9575.
    expect(ref.reference('cam-a').width).toBeCloseTo(3.9575, 5);
    const van = row(4.75, 2.6, 0);
    ref.apply('cam-a', van);
    expect(van[f('width_rel')]).toBeCloseTo(4.75 / 3.9575, 4); // 1.2003
    expect(van[f('height_rel')]).toBeCloseTo(2.6 / ((30 * 2.01 + 23) / 40), 4);
    // Not car-voted: the reference did not move. Another camera still has the prior.
    expect(ref.reference('cam-a').width).toBeCloseTo(3.9575, 5);
    const other = row(4.75, 2.6);
    ref.apply('cam-b', other);
    expect(other[f('width_rel')]).toBeCloseTo(1.25, 5);
    expect(ref.size).toBe(2);
  });

  it('takes only confidently car-voted tracks with a size into the reference', () => {
    expect(CAR_VOTE_MIN).toBe(0.8);
    const ref = new CameraSizeReference();
    ref.apply('cam-a', row(6.01, 3, 0.79));
    const unsized = row(0, 0);
    ref.apply('cam-a', unsized);
    expect(unsized[f('width_rel')]).toBe(0);
    expect(unsized[f('height_rel')]).toBe(0);
    expect(ref.reference('cam-a')).toEqual({ width: 3.8, height: 2.3 });
    ref.apply('cam-a', row(6.01, 3.01, 0.8));
    expect(ref.reference('cam-a').width).toBeCloseTo((6.01 + 38) / 11, 5);
  });

  it('follows a camera whose scale changed (histograms halved at SIZE_MAX_COUNT)', () => {
    expect(SIZE_MAX_COUNT).toBe(2000);
    const ref = new CameraSizeReference();
    for (let i = 0; i < 2000; i++) ref.apply('cam-a', row(3.01, 2.01)); // halved: 1000 at 3.01
    for (let i = 0; i < 1000; i++) ref.apply('cam-a', row(5.01, 2.01)); // halved: 500 at 3.01, 500 at 5.01
    for (let i = 0; i < 500; i++) ref.apply('cam-a', row(5.01, 2.01)); // 500 at 3.01, 1000 at 5.01
    // Median: half = 750, 500 below the 5.00–5.02 bin, 250 of its 1000 → 5.00 + 0.25 · 0.02 = 5.005.
    expect(ref.reference('cam-a').width).toBeCloseTo((1500 * 5.005 + 38) / 1510, 4); // 4.9970
  });

  it('writes the row of a batch in place', () => {
    const ref = new CameraSizeReference();
    const batch = new Float32Array(2 * FEATURE_COUNT);
    batch.set(row(1.9, 4.6), FEATURE_COUNT);
    ref.apply('cam-a', batch, 1);
    expect(batch[FEATURE_COUNT + f('width_rel')]).toBeCloseTo(0.5, 6);
    expect(batch[FEATURE_COUNT + f('height_rel')]).toBeCloseTo(2, 6);
    expect(batch[f('width_rel')]).toBe(0);
  });

  it('hands the reference of a camera over through a checkpoint (bins and counts only) and forgets it', () => {
    const a = new CameraSizeReference();
    for (let i = 0; i < 3; i++) a.apply('cam-a', row(4.01, 2.01));
    a.apply('cam-a', row(4.51, 2.51));
    const s = a.state('cam-a');
    // 4.01 m → bin 200 (4.00–4.02), 4.51 m → bin 225; 2.01 m → bin 100, 2.51 m → bin 125.
    expect(s).toEqual({
      w: [
        [200, 3],
        [225, 1],
      ],
      h: [
        [100, 3],
        [125, 1],
      ],
    });
    expect(a.state('cam-b')).toBeUndefined();
    const b = new CameraSizeReference();
    b.restore('cam-a', JSON.parse(JSON.stringify(s)));
    // Median of 4 in the bins (3 at 200, 1 at 225): half = 2 → 4.00 + (2/3) · 0.02; (4 · m + 38) / 14.
    const m = (200 + 2 / 3) * 0.02;
    expect(b.reference('cam-a').width).toBeCloseTo((4 * m + 38) / 14, 6);
    expect(b.reference('cam-a')).toEqual(a.reference('cam-a'));
    const x = row(4.75, 2.6);
    const y = row(4.75, 2.6);
    a.apply('cam-a', x);
    b.apply('cam-a', y);
    expect(Array.from(y)).toEqual(Array.from(x));
    b.forget('cam-a');
    expect(b.reference('cam-a')).toEqual({ width: 3.8, height: 2.3 });
  });
});

import { describe, expect, it } from 'vitest';
import { KalmanBoxFilter, KF_COV_STRIDE, KF_MEAN_STRIDE } from './kalman.ts';

// Straightforward dense reference of the same equations (DeepSORT / ByteTrack kalman_filter.py).
type M = number[][];
const zeros = (r: number, c: number): M => Array.from({ length: r }, () => new Array<number>(c).fill(0));
const mul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const add = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v + b[i][j]));
const sub = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v - b[i][j]));
const diag = (d: number[]): M => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
function inv(a: M): M {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...diag(new Array(n).fill(1))[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let k = 0; k < 2 * n; k++) m[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let k = 0; k < 2 * n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row) => row.slice(n));
}
const F: M = diag(new Array(8).fill(1)).map((row, i) => row.map((v, j) => (i < 4 && j === i + 4 ? 1 : v)));
const H: M = zeros(4, 8).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
const wp = 1 / 20;
const wv = 1 / 160;

function refPredict(x: number[], P: M): [number[], M] {
  const h = x[3];
  const q = [wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h].map((s) => s * s);
  const xn = mul(
    F,
    x.map((v) => [v]),
  ).map((r) => r[0]);
  return [xn, add(mul(mul(F, P), tr(F)), diag(q))];
}
function refUpdate(x: number[], P: M, z: number[]): [number[], M] {
  const h = x[3];
  const R = diag([wp * h, wp * h, 1e-1, wp * h].map((s) => s * s));
  const S = add(mul(mul(H, P), tr(H)), R);
  const K = mul(mul(P, tr(H)), inv(S));
  const y = z.map((v, i) => v - x[i]);
  const xn = x.map((v, i) => v + K[i].reduce((s, k, j) => s + k * y[j], 0));
  return [xn, sub(P, mul(mul(K, S), tr(K)))];
}

function read(mean: Float64Array, cov: Float64Array, slot: number): [number[], M] {
  const x = Array.from(mean.subarray(slot * KF_MEAN_STRIDE, (slot + 1) * KF_MEAN_STRIDE));
  const c = cov.subarray(slot * KF_COV_STRIDE, (slot + 1) * KF_COV_STRIDE);
  return [x, Array.from({ length: 8 }, (_, i) => Array.from(c.subarray(i * 8, i * 8 + 8)))];
}

function expectClose(a: number[] | M, b: number[] | M, tol: number): void {
  const fa = (a as unknown[]).flat() as number[];
  const fb = (b as unknown[]).flat() as number[];
  expect(fa.length).toBe(fb.length);
  for (let i = 0; i < fa.length; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(tol * (1 + Math.abs(fb[i])));
}

describe('KalmanBoxFilter', () => {
  it('initiates with zero velocity and the ByteTrack covariance', () => {
    const kf = new KalmanBoxFilter();
    const mean = new Float64Array(16);
    const cov = new Float64Array(128);
    kf.initiate(mean, cov, 1, 100, 200, 0.5, 80);
    const [x, P] = read(mean, cov, 1);
    expect(x).toEqual([100, 200, 0.5, 80, 0, 0, 0, 0]);
    expectClose(P, diag([8, 8, 1e-2, 8, 5, 5, 1e-5, 5].map((s) => s * s)), 1e-12);
    expect(mean.subarray(0, 8).every((v) => v === 0)).toBe(true); // other slots untouched
  });

  it('predict and update match a dense reference implementation over a sequence', () => {
    const kf = new KalmanBoxFilter();
    const mean = new Float64Array(8);
    const cov = new Float64Array(64);
    kf.initiate(mean, cov, 0, 50, 60, 0.4, 100);
    let [x, P] = read(mean, cov, 0);
    const zs = [
      [53, 61, 0.41, 101],
      [56.5, 62.2, 0.39, 103],
      [59, 63, 0.4, 102],
      [62.8, 64.1, 0.42, 104],
    ];
    for (const z of zs) {
      kf.predict(mean, cov, 0);
      [x, P] = refPredict(x, P);
      expectClose(read(mean, cov, 0)[0], x, 1e-12);
      expectClose(read(mean, cov, 0)[1], P, 1e-10);
      kf.update(mean, cov, 0, z[0], z[1], z[2], z[3]);
      [x, P] = refUpdate(x, P, z);
      expectClose(read(mean, cov, 0)[0], x, 1e-10);
      expectClose(read(mean, cov, 0)[1], P, 1e-9);
    }
  });

  it('learns a constant velocity and extrapolates it', () => {
    const kf = new KalmanBoxFilter();
    const mean = new Float64Array(8);
    const cov = new Float64Array(64);
    kf.initiate(mean, cov, 0, 0, 0, 0.5, 100);
    for (let t = 1; t <= 30; t++) {
      kf.predict(mean, cov, 0);
      kf.update(mean, cov, 0, 4 * t, -2 * t, 0.5, 100);
    }
    expect(mean[4]).toBeCloseTo(4, 1);
    expect(mean[5]).toBeCloseTo(-2, 1);
    for (let k = 0; k < 3; k++) kf.predict(mean, cov, 0);
    expect(mean[0]).toBeCloseTo(4 * 33, 0);
    expect(mean[1]).toBeCloseTo(-2 * 33, 0);
    // Covariance stays symmetric.
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(cov[i * 8 + j]).toBeCloseTo(cov[j * 8 + i], 9);
  });
});

import { describe, expect, it } from 'vitest';
import { CalibrationError } from './errors.ts';
import { fitHomography, footPoint, type PointPair, pairsFromLonLat } from './homography.ts';
import { svdJacobi } from './linalg.ts';
import { EARTH_RADIUS_M, LocalFrame, toLocal, toLonLat } from './local-frame.ts';
import { lsSpeed, MS_TO_KMH, SpeedEstimator } from './speed.ts';

/** Pinhole camera 8 m above (2, -12), looking 10° east of north, 25° below the horizon, f = 1100 px. */
function makeCamera() {
  const C = [2, -12, 8];
  const pitch = (25 * Math.PI) / 180;
  const yaw = (10 * Math.PI) / 180;
  const fwd = [Math.sin(yaw) * Math.cos(pitch), Math.cos(yaw) * Math.cos(pitch), -Math.sin(pitch)];
  const right = [Math.cos(yaw), -Math.sin(yaw), 0];
  // down = fwd × right
  const down = [
    fwd[1] * right[2] - fwd[2] * right[1],
    fwd[2] * right[0] - fwd[0] * right[2],
    fwd[0] * right[1] - fwd[1] * right[0],
  ];
  const f = 1100;
  const cx = 960;
  const cy = 540;
  return (x: number, y: number): [number, number] => {
    const d = [x - C[0], y - C[1], -C[2]];
    const zc = d[0] * fwd[0] + d[1] * fwd[1] + d[2] * fwd[2];
    const xc = d[0] * right[0] + d[1] * right[1] + d[2] * right[2];
    const yc = d[0] * down[0] + d[1] * down[1] + d[2] * down[2];
    return [cx + (f * xc) / zc, cy + (f * yc) / zc];
  };
}

describe('local frame', () => {
  it('projects and inverts around Chartres', () => {
    const origin = { lon: 1.4892, lat: 48.4469 };
    const p = toLocal(origin, 1.4902, 48.4479);
    // 0.001° of latitude = R·π/180·0.001
    expect(p.y).toBeCloseTo((EARTH_RADIUS_M * Math.PI) / 180 / 1000, 6);
    expect(p.x).toBeCloseTo(((EARTH_RADIUS_M * Math.PI) / 180 / 1000) * Math.cos((48.4469 * Math.PI) / 180), 6);
    const back = toLonLat(origin, p.x, p.y);
    expect(back.lon).toBeCloseTo(1.4902, 12);
    expect(back.lat).toBeCloseTo(48.4479, 12);
    const frame = new LocalFrame(origin);
    expect(frame.x(1.4902)).toBeCloseTo(p.x, 9);
    expect(frame.lat(frame.y(48.4479))).toBeCloseTo(48.4479, 12);
  });
});

describe('svdJacobi', () => {
  it('recovers singular values of a known matrix', () => {
    // A = diag(3, 2, 1) rotated: singular values are 3, 2, 1
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const a = [3 * c, -2 * s, 0, 3 * s, 2 * c, 0, 0, 0, 1];
    const r = svdJacobi(a, 3, 3);
    expect(Array.from(r.s)).toEqual([expect.closeTo(3, 12), expect.closeTo(2, 12), expect.closeTo(1, 12)]);
  });
});

describe('fitHomography', () => {
  const project = makeCamera();
  const ground: [number, number][] = [
    [-6, 5],
    [8, 5],
    [10, 30],
    [-8, 32],
    [0, 15],
    [4, 22],
  ];
  const pairs: PointPair[] = ground.map((g) => ({ image: project(g[0], g[1]), ground: g }));

  it('recovers a synthetic pinhole camera to < 1 cm on unseen ground points', () => {
    const fit = fitHomography(pairs);
    expect(fit.rmsM).toBeLessThan(1e-6);
    const out = new Float64Array(2);
    let worst = 0;
    for (let x = -10; x <= 12; x += 2) {
      for (let y = 3; y <= 40; y += 3) {
        const [u, v] = project(x, y);
        fit.homography.imageToGround(u, v, out);
        worst = Math.max(worst, Math.hypot(out[0] - x, out[1] - y));
      }
    }
    expect(worst).toBeLessThan(0.01);
    // and back to the image
    fit.homography.groundToImage(3, 18, out);
    const [u, v] = project(3, 18);
    expect(Math.hypot(out[0] - u, out[1] - v)).toBeLessThan(1e-6);
  });

  it('works with exactly 4 points and reports a least-squares RMS with pixel noise', () => {
    const four = fitHomography(pairs.slice(0, 4));
    expect(four.rmsM).toBeLessThan(1e-6);
    // ±0.5 px deterministic noise on 12 points: RMS reported, centre error a few cm
    const grid: PointPair[] = [];
    let k = 0;
    for (const x of [-8, 0, 8]) {
      for (const y of [6, 14, 22, 30]) {
        const [u, v] = project(x, y);
        const nu = 0.5 * Math.sin(12.9898 * ++k);
        const nv = 0.5 * Math.cos(78.233 * k);
        grid.push({ image: [u + nu, v + nv], ground: [x, y] });
      }
    }
    const noisy = fitHomography(grid);
    expect(noisy.rmsM).toBeGreaterThan(0.001);
    expect(noisy.rmsM).toBeLessThan(0.1);
    expect(noisy.rmsPx).toBeGreaterThan(0.1);
    expect(noisy.rmsPx).toBeLessThan(0.7);
    expect(noisy.residualsM.length).toBe(12);
  });

  it('maps a box foot point to the ground', () => {
    const fit = fitHomography(pairs);
    const [u, v] = project(1, 12);
    const bbox: [number, number, number, number] = [u - 20, v - 80, 40, 80];
    expect(footPoint(bbox)).toEqual([expect.closeTo(u, 9), expect.closeTo(v, 9)]);
    const out = fit.homography.footToGround(...bbox, [0, 0]);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(12, 6);
    // the same through lon/lat: calibrate from map coordinates, read lon/lat back
    const frame = new LocalFrame({ lon: 1.4892, lat: 48.4469 });
    const lonLatPairs = pairs.map((p) => ({
      image: p.image,
      lonLat: [frame.lon(p.ground[0]), frame.lat(p.ground[1])] as [number, number],
    }));
    const geo = fitHomography(pairsFromLonLat(frame, lonLatPairs));
    const ll = geo.homography.footToLonLat(frame, ...bbox, [0, 0]);
    expect(ll[0]).toBeCloseTo(frame.lon(1), 9);
    expect(ll[1]).toBeCloseTo(frame.lat(12), 9);
    // batch forms (tracker feet column, box column)
    const xs = new Float64Array(2);
    const ys = new Float64Array(2);
    const [u2, v2] = project(-4, 25);
    fit.homography.feetToGround([u, v, u2, v2], 2, xs, ys);
    expect([xs[0], ys[0], xs[1], ys[1]].map((a) => Math.round(a * 1e6) / 1e6)).toEqual([1, 12, -4, 25]);
    fit.homography.footsToGround(bbox, 1, xs, ys);
    expect(xs[0]).toBeCloseTo(1, 6);
    // above the horizon → NaN
    const sky = fit.homography.imageToGround(960, -2000, [0, 0]);
    expect(sky[0]).toBeNaN();
  });

  function codeOf(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(CalibrationError);
      return (e as CalibrationError).code;
    }
    return undefined;
  }

  it('rejects fewer than 4 points', () => {
    expect(codeOf(() => fitHomography(pairs.slice(0, 3)))).toBe('PASSAGE_CALIBRATION_DEGENERATE');
    expect(() => fitHomography(pairs.slice(0, 3))).toThrow(/at least 4 .* got 3/);
  });

  it('rejects duplicated points', () => {
    const dup = [...pairs.slice(0, 4), pairs[1]];
    expect(codeOf(() => fitHomography(dup))).toBe('PASSAGE_CALIBRATION_DEGENERATE');
    expect(() => fitHomography(dup)).toThrow(/points 1 and 4 are the same/);
  });

  it('rejects collinear points (all on a line, or all but one)', () => {
    const line = [0, 5, 10, 15, 20].map((y) => ({ image: project(1, y), ground: [1, y] as [number, number] }));
    expect(codeOf(() => fitHomography(line))).toBe('PASSAGE_CALIBRATION_DEGENERATE');
    expect(() => fitHomography(line)).toThrow(/lie on one line/);
    const threeOnLine = [...line.slice(0, 3), { image: project(6, 10), ground: [6, 10] as [number, number] }];
    expect(codeOf(() => fitHomography(threeOnLine))).toBe('PASSAGE_CALIBRATION_DEGENERATE');
    expect(() => fitHomography(threeOnLine)).toThrow(/points 0, 1, 2 lie on one line/);
  });

  it('rejects non-finite input with PASSAGE_CALIBRATION_INVALID', () => {
    const bad = [
      ...pairs.slice(0, 4),
      { image: [Number.NaN, 3] as [number, number], ground: [1, 2] as [number, number] },
    ];
    expect(codeOf(() => fitHomography(bad))).toBe('PASSAGE_CALIBRATION_INVALID');
  });

  it('rejects an ill-conditioned (nearly collinear) set', () => {
    // 4 points, one 1 mm off the line through the other three (tolerance passes, conditioning fails)
    const near: PointPair[] = [
      { image: [100, 100], ground: [0, 0] },
      { image: [200, 200], ground: [1, 1] },
      { image: [300, 300.0000001], ground: [2, 2.0000001] },
      { image: [400, 100], ground: [3, 0] },
    ];
    expect(codeOf(() => fitHomography(near, { collinearTol: 0 }))).toBe('PASSAGE_CALIBRATION_DEGENERATE');
  });
});

describe('speed', () => {
  it('measures a constant 36 km/h track within 1 km/h under ±0.3 m jitter', () => {
    const est = new SpeedEstimator();
    const ts: number[] = [];
    const xs: number[] = [];
    const ys: number[] = [];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const heading = 0.6;
    for (let i = 0; i < 150; i++) {
      const t = 1_700_000_000_000 + i * 40; // 25 fps, 6 s
      const d = 10 * (i * 0.04); // 10 m/s
      const x = d * Math.cos(heading) + (rnd() - 0.5) * 0.6;
      const y = d * Math.sin(heading) + (rnd() - 0.5) * 0.6;
      ts.push(t);
      xs.push(x);
      ys.push(y);
      est.push(t, x, y);
    }
    expect(Math.abs(est.mean() * MS_TO_KMH - 36)).toBeLessThan(1);
    expect(Math.abs(est.current() * MS_TO_KMH - 36)).toBeLessThan(2);
    expect(Math.abs(lsSpeed(ts, xs, ys, 0, ts.length) * MS_TO_KMH - 36)).toBeLessThan(0.5);
  });
});

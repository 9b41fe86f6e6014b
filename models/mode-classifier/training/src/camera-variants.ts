/**
 * Training-time camera variants: the same world seen through other cameras. A copy of the scenario (in memory
 * only; nothing on disk changes) whose cameras stand at the same places but with another mounting height
 * (4–10 m), field of view (60–110°), frame rate (5–30 fps) and resolution, aimed at the same ground point, and
 * calibrated like an installer would: the image↔map pairs of the pipeline's homography are clicked with pixel noise
 * (σ 2 px) on ground points measured with a height error (σ 0.15 m). Features that depend on the camera (frames per
 * track, box aspect, sizes through an imperfect homography) then vary in training as they do between towns.
 */
import {
  type CameraSpec,
  imageToGround,
  localiseScenario,
  makePinhole,
  projectPoint,
  type SimContext,
} from '@passage/sim';
import { sampler } from './sampling.ts';

const DEG = Math.PI / 180;
const FPS = [5, 8, 10, 12.5, 15, 20, 25, 30];
const RESOLUTIONS: [number, number][] = [
  [1280, 720],
  [1920, 1080],
  [2560, 1440],
  [1280, 960],
];

/** Ranges of a camera variant (defaults: the module comment's). */
export interface CameraVariantRanges {
  /** Mounting height range, m. @default [4, 10] */
  heightM?: readonly [number, number];
  /** Horizontal field of view range, degrees. @default [60, 110] */
  hfovDeg?: readonly [number, number];
  /** Frame rates drawn from. @default 5–30 fps */
  fps?: readonly number[];
  /** σ of the clicked calibration points, pixels. @default 2 */
  clickPx?: number;
  /** Calibration grid: image fractions across and down. @default [0.12, 0.37, 0.63, 0.88] × [0.5, 0.7, 0.9] */
  gridU?: readonly number[];
  gridV?: readonly number[];
}

/**
 * The scenario seen through varied cameras (see the module comment); `seed` picks the variant, `ranges` narrows it
 * (diagnosis: e.g. only low masts at 5 fps). Same seed and ranges → same cameras; the defaults reproduce the
 * training files' variants draw for draw.
 */
export function varyCameras(ctx: SimContext, seed: number, ranges: CameraVariantRanges = {}): SimContext {
  const [h0, h1] = ranges.heightM ?? [4, 10];
  const [f0, f1] = ranges.hfovDeg ?? [60, 110];
  const fpsList = ranges.fps ?? FPS;
  const rng = sampler(seed);
  const frame = ctx.frame;
  const cameras: CameraSpec[] = ctx.scenario.cameras.map((spec, i) => {
    const [x, y] = frame.toLocal([spec.position.lon, spec.position.lat]);
    // Aim at the same ground point: distance of the optical axis' foot from the camera.
    const aimM = spec.mountingHeightM / Math.tan(Math.max(3, spec.tiltDeg) * DEG);
    const h = rng.range(h0, h1);
    const tiltDeg = Math.min(60, Math.max(5, Math.atan(h / aimM) / DEG + rng.normal(0, 2)));
    const hfovDeg = rng.range(f0, f1);
    const [width, height] = RESOLUTIONS[rng.int(RESOLUTIONS.length)];
    const fps = fpsList[rng.int(fpsList.length)];
    const headingDeg = spec.headingDeg + rng.normal(0, 3);
    const pinhole = { x, y, mountingHeightM: h, headingDeg, tiltDeg, hfovDeg, width, height };
    const cam = makePinhole(pinhole);
    // Calibration: a grid of ground points in the lower part of the image, clicked with noise.
    const calibration: CameraSpec['calibration'] = [];
    for (const fu of ranges.gridU ?? [0.12, 0.37, 0.63, 0.88]) {
      for (const fv of ranges.gridV ?? [0.5, 0.7, 0.9]) {
        const g = imageToGround(pinhole, fu * width, fv * height);
        if (!g || Math.hypot(g[0] - x, g[1] - y) > 90) continue;
        const dz = rng.normal(0, 0.15);
        const [u, v, depth] = projectPoint(cam, g[0], g[1], dz);
        if (depth <= 0) continue;
        const iu = Math.min(width - 1, Math.max(0, u + rng.normal(0, ranges.clickPx ?? 2)));
        const iv = Math.min(height - 1, Math.max(0, v + rng.normal(0, ranges.clickPx ?? 2)));
        calibration.push({ image: [iu, iv], map: frame.toLonLat(g[0], g[1]) });
      }
    }
    if (calibration.length < 4) return spec; // cannot calibrate this variant: keep the camera as it was
    return {
      ...spec,
      id: spec.id,
      name: `${spec.name} (variant ${seed}.${i})`,
      mountingHeightM: h,
      headingDeg,
      tiltDeg,
      hfovDeg,
      width,
      height,
      fps,
      calibration,
    };
  });
  const scenario = { ...ctx.scenario, cameras };
  return { ...ctx, scenario, ...localiseScenario(scenario) };
}

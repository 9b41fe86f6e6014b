/**
 * One camera's video-flows pipeline, pure and allocation-light: detections of a frame → ByteTrack tracker →
 * foot points on the ground (homography) → counting lines, zones and movements → per-track samples for the mode
 * classifier. When a track ends it yields a `FinishedRoadUser`: the counting summary and a feature vector, never
 * the track itself (ids and boxes stay in here).
 *
 * Class groups. Detections are tracked by one ByteTrack instance per class group (`person`; two-wheelers
 * `bicycle`/`motorcycle`; motor vehicles `car`/`truck`/`bus`; anything else), so the rider's `person` box and the
 * `bicycle` box of one cyclist (which overlap heavily) never swap identities, while class flicker inside a group
 * (car↔truck, bicycle↔motorcycle, truck↔bus) stays on one track. `trackByClassGroup: false` restores one
 * class-agnostic tracker.
 *
 * Riders. A `person` track whose box sits on a two-wheeler box in ≥ `riderShare` of its frames is the rider of
 * the two-wheeler tracks it sat on (its partners: every two-wheeler track under its box in ≥ 2 frames, so that a
 * two-wheeler whose box was missed for a while and whose track broke in fragments still covers its rider). So is
 * a two-wheeler track whose box is stacked on another two-wheeler box in ≥ `riderShare` of its frames (a detector
 * that names a cyclist's rider `bicycle`: a box on the other, its top higher by ≥ 20 % and its bottom within 45 %
 * of the lower box's height). A rider is not a road user of its own when its partners counted the same things:
 * its line crossings that a partner also made (same line and direction within `riderMatchMs`) are removed, and so
 * is its movement when a partner has one. What is left (the two-wheeler box was missed at the line) is emitted as
 * a road user (`rider: false`); when nothing is left the track is emitted with `rider: true`. The decision waits
 * for the partners still tracked to end.
 *
 * Stitching. Image-plane trackers break tracks of road users hidden for a while (behind traffic, in a crowd, in a
 * queue) or moving fast for their size (IoU with the prediction too low). Such a road user then shows up as a new
 * track, and a break near a counting line loses the crossing (the counter needs the side before and after). So
 * the pipeline keeps its own road-user ids: a track the tracker lost or ended stays a candidate (dormant) for
 * `stitch.maxGapMs` (`stoppedMaxGapMs` if it was standing still), and a newborn track of the same class group
 * whose first ground position is within the gate of a candidate's constant-velocity prediction (radius
 * `radiusM` + `radiusGrowthMs` × gap, at most `maxRadiusM`; the nearest relative to its gate wins) continues that
 * road user: same counter state, same samples. If the candidate's old tracker track is still alive it is retired
 * (should it come back, it is taken as a new road user). Road users are finished when their gap gets too long.
 */
import { CameraCounter } from '../counting/counter.ts';
import type { CameraCounterOptions, CountingLine, Mode, TrackSummary, Zone } from '../counting/types.ts';
import { withNormalisedLabels } from '../features/class-labels.ts';
import { groundBoxSize, pathLengthAndStraightness } from '../features/ground-size.ts';
import { computeTrackFeatures, detectorClassIndex, FEATURE_COUNT } from '../features/track-features.ts';
import type { GroundHomography } from '../geometry/homography.ts';
import { lsSpeed, MS_TO_KMH } from '../geometry/speed.ts';
import { DEFAULT_PCU } from '../signals/timing.ts';
import { ByteTracker } from '../tracker/byte-tracker.ts';
import { BYTE_TRACKER_DEFAULTS, type ByteTrackerOptions } from '../tracker/options.ts';
import { type ScoreAdaptOptions, ScoreDistribution } from '../tracker/score-distribution.ts';
import { DischargeMeter, type DischargeOptions, type DischargeRow } from './discharge.ts';

export interface CameraPipelineOptions {
  cameraId: string;
  siteId: string;
  /** Image → ground (local metres, the frame of `lines` and `zones`). */
  homography: GroundHomography;
  lines: readonly CountingLine[];
  zones: readonly Zone[];
  /** Frame rate of the camera (tracker buffers scale with it). @default 10 */
  fps?: number;
  tracker?: Partial<ByteTrackerOptions>;
  /**
   * Score thresholds that follow the camera's own score distribution: each class group's tracker has its own
   * {@link ScoreDistribution} of that group's box scores, and its `tracker` thresholds are scaled by that
   * distribution's factor: the affine map of the group's median and 90th percentile onto those of the detector the
   * thresholds were set for (`GROUP_SCORE_REFERENCES`): 1 for a detector like it, lower for one that scores a
   * group lower (small road users often score lower on weak detectors). Until a group has seen `warmup` boxes of
   * its own, its factor is that of all the camera's boxes pooled (matched to the all-box reference): a rare group
   * (two-wheelers) at a low frame rate would otherwise keep the fixed thresholds for many minutes after a start
   * (1,000 boxes are 10–20 min of two-wheelers at 5 fps). chartres-centre 1800–3600 s through 5 fps variants (masts
   * 4–6 m, anet-like convention, `diagnose-crossings.ts`): motorcycle crossings counted by a track 81.0 → 83.7 %,
   * bicycle 88.3 → 89.6 %. Options given here override every group's. `false` keeps the fixed thresholds.
   * @default true
   */
  adaptiveScores?: Partial<ScoreAdaptOptions> | boolean;
  counter?: Omit<CameraCounterOptions, 'lines' | 'zones'>;
  /** Samples kept per track for features; older samples are decimated by 2 when full. @default 256 */
  maxSamplesPerTrack?: number;
  /** A person (or stacked two-wheeler) track whose box sits on a bicycle/motorcycle box in at least this share of frames is a rider. @default 0.5 */
  riderShare?: number;
  /** A rider's crossing is the partner's when the partner crossed the same line and direction within this. @default 3000 */
  riderMatchMs?: number;
  /** One tracker per class group (person, two-wheeler, motor vehicle, other). @default true */
  trackByClassGroup?: boolean;
  /** Ground-plane track stitching (see the class comment); `false` turns it off. */
  stitch?: Partial<StitchOptions> | false;
  /**
   * Image size (px) of the camera, for boxes cut by the image border (see `borderDeadReckonMs`); a frame's own
   * `width`/`height` override it. Unknown (the default) → every foot point is taken as it is.
   */
  imageSize?: { width: number; height: number };
  /**
   * Boxes cut by the left, right or bottom image border. The bottom-centre of such a box is not the road user's
   * foot point (the box ends at the border, the foot is beyond it), so its ground position is wrong: a road user
   * crossing a counting line near the image border seems to stop at the border and its crossing is never
   * counted (on training worlds seen through low masts and narrow lenses, 3 of 4 crossings with a cut box were
   * lost: `diagnose-crossings.ts`). While its box is cut, a road user's position is dead-reckoned on the ground
   * from its last uncut positions (least-squares velocity over the last second) for at most this long (ms), then
   * held; one that leaves the picture is reckoned 1 s further. A road user first seen cut is placed on the ground
   * once its box is whole and its velocity measurable, reckoned back to 1 s before its first sighting (raw foot
   * points if that never happens). `0` turns it off.
   * @default 3000
   */
  borderDeadReckonMs?: number;
  /**
   * A road user last seen whole whose box, moved on by its image velocity for this many frame intervals, is cut by
   * the image border left the picture (see `exitEnd`), and one first seen whole whose box moved back as far is cut
   * entered it (see `entered`): one frame for the box gone in the next frame, three more for the last boxes, cut or
   * partly hidden, that the detector missed or scored too low to go on with the track. chartres-centre 1800–3600 s
   * through 5 fps variants (masts 4–6 m, anet-like convention, `diagnose-crossings.ts`): motorcycle crossings
   * counted by a track 79.5 / 81.0 / 81.9 % with 2 / 3 / 4 frames, false positives and duplicates unchanged; with
   * the young tracks' buffer, the pooled score warm-up and cross-group stitching 87.1 → 88.0 % (3 → 4 frames),
   * bicycle 92.6 → 93.7 %, false positives and duplicates within ± 1, the world's own cameras identical. With
   * `tentativeMatchThresh` 0.7 as well, 4 / 5 / 6 / 8 frames: 89.7 / 90.4 / 90.8 / 91.0 %: a motorcyclist passing a
   * car near the border is often missed for a frame or two before it leaves (hidden by the car), and 4 frames did
   * not reach the border from its last box; 6 frames (1.2 s at 5 fps, 0.2 s at 30 fps) bicycle 93.6 → 94.4 %,
   * car 90.8 → 91.0 %, false positives and duplicates + 15 of 1,154. `0` turns it off (so does
   * `borderDeadReckonMs` 0). @default 6
   */
  borderExitFrames?: number;
  /**
   * Saturation headways from queue discharge on the approach arms (`DischargeMeter`, issue 13): aggregates only,
   * taken with `takeDischarge`. `false` turns it off. @default on, the planner's PCU factors
   */
  discharge?: Partial<DischargeOptions> | false;
}

/** A box edge within this many pixels (plus `BORDER_SHARE` × box size) of the image border is cut by it. */
const BORDER_PX = 2;
const BORDER_SHARE = 0.04;
/**
 * How far (ms) a road user that left the picture through the border is reckoned beyond its last sighting, and one
 * that entered through it before its first sighting.
 */
const BORDER_EXIT_MS = 1000;
/** The last two boxes of a road user give its image velocity when at most this many frame intervals apart. */
const EXIT_MAX_BOX_GAP_FRAMES = 3;

/**
 * Track stitching on the ground plane. A track the tracker lost (or ended) is kept dormant for a while; a new track
 * of the same class group born near where the dormant one would be now continues it (same road user).
 */
export interface StitchOptions {
  /** Longest gap (ms) bridged for a moving road user (behind a stream of traffic, in a crowd). @default 10000 */
  maxGapMs: number;
  /**
   * Longest gap (ms) bridged for a road user that was standing still (a queue at a red light, hidden while it
   * waits). @default 60000
   */
  stoppedMaxGapMs: number;
  /** Below this speed (m/s, over the last second seen) a road user is standing still. @default 0.5 */
  stoppedSpeedMs: number;
  /** Gate radius (m) around the predicted position at a gap of 0 … @default 2 */
  radiusM: number;
  /** … growing by this much per second of gap (m/s) … @default 1 */
  radiusGrowthMs: number;
  /** … up to this radius (m). @default 8 */
  maxRadiusM: number;
  /**
   * A candidate whose velocity is not measurable (seen in a single frame: at a low frame rate a small, fast road
   * user's box does not overlap its previous one, so the tracker starts a new track every frame) is searched around
   * its last position with the gate growing by this speed (m/s) instead of `radiusGrowthMs` (people: at most
   * 3 m/s). On dreux-grid through 5 fps cameras (masts 8–10 m, 0–900 s, `diagnose-crossings.ts`) 115 of 130
   * motorcycle crossings are counted instead of 97. @default 15
   */
  unknownSpeedMs: number;
  /**
   * A newborn person track may continue a two-wheeler road user and the other way round (see
   * `CROSS_GROUP_MAX_GAP_FRAMES`): a detector that names a motorcyclist's box `person` for a frame broke its track
   * in two class groups. @default true
   */
  crossGroup: boolean;
}

/**
 * Stitching across class groups: a newborn person track may continue a two-wheeler road user and the other way
 * round (a detector that names a motorcyclist's box `person` for a frame or a few) when the road user was last
 * seen at most this many frame intervals ago, its box on the ground is as wide as the newborn's within this ratio,
 * and its gate score (distance / radius) × this penalty still beats every candidate of the newborn's own group.
 */
const CROSS_GROUP_MAX_GAP_FRAMES = 2.5;
const CROSS_GROUP_WIDTH_RATIO = 1.6;
const CROSS_GROUP_PENALTY = 1.5;

function crossGroupPair(a: number, b: number): boolean {
  return (a === 0 && b === TWO_WHEELER_GROUP) || (a === TWO_WHEELER_GROUP && b === 0);
}

/** Mean ground width (m) of a road user's last (up to) 5 boxes. */
function recentWidth(s: Samples): number {
  const k = Math.min(5, s.n);
  let sum = 0;
  for (let i = s.n - k; i < s.n; i++) sum += s.w[i];
  return k > 0 ? sum / k : 0;
}

/** Walking or running speed bound for a person candidate without a measured velocity (m/s). */
const PERSON_MAX_SPEED_MS = 3;

export const STITCH_DEFAULTS: Readonly<StitchOptions> = Object.freeze({
  maxGapMs: 10_000,
  stoppedMaxGapMs: 60_000,
  stoppedSpeedMs: 0.5,
  radiusM: 2,
  radiusGrowthMs: 1,
  maxRadiusM: 8,
  unknownSpeedMs: 15,
  crossGroup: true,
});

/**
 * Tracker settings of the pipeline that differ from the ByteTrack (MOT17) defaults, for street cameras:
 * - `trackHigh` 0.5 (ByteTrack's code default `track_thresh`; new tracks from 0.6): partly occluded road users
 *   in a crowd or behind traffic come with middling scores and would otherwise never start a track;
 * - `minHits` 1: a track is reported from its first box. With 2, a newborn track that misses its second frame
 *   dies (common for small, fast or partly hidden road users, whose IoU with the prediction is low) and the
 *   birth frame is never seen by the counter; one-frame false positives cannot count anyway (a crossing needs
 *   positions beyond the margin on both sides), and fragments are joined by the ground-plane stitching.
 * - `lowBirthHits` 2: a box below the new-track threshold (down to half of it) that no track covers starts a
 *   tentative track, reported once a second box continues it. Road users hidden in a crowd or behind traffic, or
 *   seen by a weak detector, can score low all the way across a line: on dreux-grid seen through low masts and
 *   narrow lenses with a low-score merged-rider detector (`diagnose-crossings.ts`, 1200–2400 s) it counts
 *   1,890 of 2,083 pedestrian crossings instead of 1,847 and 609 of 682 two-wheeler ones instead of 570; with
 *   the scenario's own cameras 2,091 / 668 instead of 2,067 / 658 (truth 2,083 / 682).
 * - `tentativeMatchThresh` 0.7: a tentative track takes its next weak box at IoU ≥ 0.3 (buffered, see
 *   `youngTrackBuffer`), as an unconfirmed track takes a strong one, instead of ByteTrack's 0.5 for low boxes: at
 *   5 fps a motorcyclist far from the camera, scoring low for seconds, moved by more than half its box between
 *   frames and every one of its weak boxes started a tentative track that died unconfirmed. Anet-like 5 fps
 *   variants (masts 4–6 m, `diagnose-crossings.ts --classify`): chartres-centre 1800–3600 s motorcycle crossings
 *   counted by a track 88.0 → 89.7 % (0.6: 89.0 %, 0.8: 90.1 %), false positives and duplicates within ± 8 of
 *   1,156; through masts of 8–10 m at 5 fps 91.5 → 92.3 %, but 27 more pedestrian crossings counted, 2 of them right
 *   (fragments of pedestrians and tracks on other road users' weak `person` boxes).
 * - `highInSecondAssociation` and `lostInSecondAssociation` 1: a middling box left by the score-fused first
 *   association, and a track missed in the previous frame, are matched by IoU in the second one. At 5 fps (masts
 *   4–6 m, anet-like convention, chartres-centre 1800–3600 s, `diagnose-crossings.ts`) a motorcycle whose box was
 *   missed once, or named `car` once, and scored low afterwards lost its track: motorcycle crossings counted by a
 *   track 77.9 → 79.5 %, bicycle 86.0 → 87.4 % with the lost tracks (the high boxes alone: +0.1 point).
 * Overridden by `tracker` options.
 */
export const PIPELINE_TRACKER_DEFAULTS: Readonly<Partial<ByteTrackerOptions>> = Object.freeze({
  trackHigh: 0.5,
  minHits: 1,
  lowBirthHits: 2,
  tentativeMatchThresh: 0.7,
  highInSecondAssociation: true,
  lostInSecondAssociation: 1,
});

/** Frame rate ByteTrack's Kalman noise weights were set for (MOT17, 30 fps). */
const KALMAN_REFERENCE_FPS = 30;
/**
 * Young tracks' IoU buffer (`youngTrackBuffer`) per unit of 30 / fps − 1: 0 at 30 fps, 0.1 at 15 fps, 0.2 at
 * 10 fps, 0.5 at 5 fps, at most `YOUNG_BUFFER_MAX`. chartres-centre 1800–3600 s through 5 fps variants (masts 4–6 m,
 * anet-like convention, `diagnose-crossings.ts`, pooled score warm-up on): motorcycle crossings counted by a track
 * 83.7 / 85.6 / 86.3 / 87.3 % with buffers 0 / 0.3 / 0.5 / 0.8, bicycle 89.6 / 91.7 / 92.4 / 92.5 %; at 0.8
 * pedestrian false positives 389 → 400 and car fragment duplicates 126 → 135 (at 0.5: 392, 131).
 */
const YOUNG_BUFFER_PER_FRAME_SCALE = 0.1;
const YOUNG_BUFFER_MAX = 0.5;

/**
 * The tracker options of a camera: `PIPELINE_TRACKER_DEFAULTS`, then the velocity noise made frame-rate aware, then
 * the operator's `tracker` options. The Kalman filter's velocity is in pixels per frame and its noise a share of the
 * box height per frame, set for 30 fps: at 5 fps a road user moves 6 times as far per frame, and with the 30 fps
 * noise a new track needs many frames to learn that velocity, so its predicted box lags behind the next box and a
 * small, fast road user loses its track. `stdWeightVelocity` is scaled by 30 / fps below 30 fps (1/160 × 6 at
 * 5 fps). chartres-centre 1800–3600 s through 5 fps camera variants with masts of 4–6 m (`diagnose-crossings.ts`):
 * motorcycle crossings counted by a track 70.4 → 74.3 %, bicycle 80.9 → 84.1 %, car 84.8 → 86.4 %.
 */
export function pipelineTrackerOptions(
  fps: number,
  tracker?: Partial<ByteTrackerOptions>,
): Partial<ByteTrackerOptions> {
  const scale = Math.max(1, KALMAN_REFERENCE_FPS / fps);
  return {
    fps,
    ...PIPELINE_TRACKER_DEFAULTS,
    stdWeightVelocity: BYTE_TRACKER_DEFAULTS.stdWeightVelocity * scale,
    youngTrackBuffer: Math.min(YOUNG_BUFFER_MAX, YOUNG_BUFFER_PER_FRAME_SCALE * (scale - 1)),
    ...tracker,
  };
}

/** What leaves the pipeline when a road user's track ends. */
export interface FinishedRoadUser {
  summary: TrackSummary;
  /** FEATURE_COUNT values (see FEATURE_NAMES). */
  features: Float32Array;
  /** Majority vote over detector classes, mapped to a mode (the baseline the classifier must beat). */
  voteMode: Mode | undefined;
  /**
   * True when the track is the rider of a tracked bicycle or motorcycle whose track counted the same crossings
   * and movement (not counted separately).
   */
  rider: boolean;
}

/** Minimal shape of a detected object (structurally a `DetectedObject` of detections.v1). */
export interface PipelineObject {
  readonly bbox: ArrayLike<number>;
  readonly cls: string;
  readonly score: number;
}

/** `ids` placeholder of a tracker track seen for the first time, and road-user id of a retired tracker track. */
const NEW_TRACK = -2;
const RETIRED = -1;

const VOTE_TO_MODE: readonly Mode[] = ['pedestrian', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'];

/** Class groups tracked separately: 0 person, 1 two-wheeler, 2 motor vehicle, 3 other. */
const GROUPS = 4;

/**
 * Per class group, the median and 90th percentile of box scores from the detector the fixed thresholds were set
 * for (the synthesiser's default `coco-separate`, chartres-centre and dreux-grid, first 1,200 s: person 0.677 /
 * 0.828 and 0.675 / 0.830; two-wheeler 0.634 / 0.773 and 0.615 / 0.760; motor vehicle 0.791 / 0.925 and
 * 0.763 / 0.906; all boxes 0.709 / 0.871 and 0.693 / 0.856), the lower of the two worlds' upper quantiles so that
 * both keep their thresholds. The last entry is for the single tracker when class groups are off.
 */
export const GROUP_SCORE_REFERENCES: readonly Readonly<Pick<ScoreAdaptOptions, 'referenceMedian' | 'reference'>>[] =
  Object.freeze([
    { referenceMedian: 0.676, reference: 0.828 },
    { referenceMedian: 0.625, reference: 0.76 },
    { referenceMedian: 0.777, reference: 0.906 },
    { referenceMedian: 0.7, reference: 0.856 },
    { referenceMedian: 0.7, reference: 0.856 },
  ]);
/** Lowest threshold factor of the affine map (new tracks never start below 0.6 × 0.35 = 0.21). */
const MIN_SCORE_FACTOR = 0.35;
const TWO_WHEELER_GROUP = 1;
function classGroup(cls: string): number {
  switch (detectorClassIndex(cls)) {
    case 0:
      return 0;
    case 1:
    case 3:
      return 1;
    case 2:
    case 4:
    case 5:
      return 2;
    default:
      return 3;
  }
}

/** What a finished two-wheeler track counted, kept a while for the decision about its rider. */
interface PartnerRecord {
  summary: TrackSummary;
  lastTs: number;
}

/** A finished rider track waiting for its partners to end. */
interface PendingRider {
  user: FinishedRoadUser;
  /** Partners still tracked. */
  waiting: Set<number>;
  /** Counts of the partners that ended (non-rider two-wheelers). */
  summaries: TrackSummary[];
}

/** A partner is a two-wheeler track the rider's box sat on in at least this many frames (one frame is chance). */
const MIN_PARTNER_FRAMES = 2;

/**
 * A two-wheeler box is the rider of another two-wheeler box (a detector that names a cyclist's rider `bicycle`)
 * when it sits on it (≥ 0.3 of its area), its top is above the other's top by at least this share of the other's
 * height and its bottom within `STACK_BOTTOM_SHARE` of the other's height of the other's bottom.
 */
const STACK_TOP_SHARE = 0.2;
const STACK_BOTTOM_SHARE = 0.45;

/** How long (ms of stream time) a finished two-wheeler track's counts are kept for its riders. */
const PARTNER_KEEP_MS = 120_000;

/** Growable per-track sample columns. */
class Samples {
  n = 0;
  cap: number;
  t: Float64Array;
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  a: Float64Array;
  votes = new Float64Array(6);
  riderFrames = 0;
  withRiderFrames = 0;
  /** Frames in which this (two-wheeler) track's box was stacked on another two-wheeler box (a rider named so). */
  stackedFrames = 0;
  frames = 0;
  /** Two-wheeler track id → frames this (rider) track's box sat on its box. */
  partners: Map<number, number> | undefined;
  /** Box cut by the image border since this time (NaN: not cut); anchor position, time and velocity (m/s). */
  cutSince = Number.NaN;
  cutT0 = 0;
  cutX = 0;
  cutY = 0;
  cutVx = 0;
  cutVy = 0;
  /** Whether the dead reckoning has an anchor (false: first seen cut, raw foot points). */
  cutAnchored = false;
  /** Frames whose box was not cut by the image border, and the first of them. */
  uncutFrames = 0;
  firstUncutTs = Number.NaN;
  /** First seen cut by the border and not yet placed on the ground: not fed to the counter. */
  pending = false;
  /** The road user's last two boxes [left, top, right, bottom] and their times (NaN: none yet), see `exitedView`. */
  box1 = new Float64Array(4);
  box1Ts = Number.NaN;
  box0 = new Float64Array(4);
  box0Ts = Number.NaN;
  /** First seen whole: its first position is held back from the counter until its second box (see `entered`). */
  held = false;
  constructor(cap: number) {
    this.cap = cap;
    this.t = new Float64Array(cap);
    this.x = new Float64Array(cap);
    this.y = new Float64Array(cap);
    this.w = new Float64Array(cap);
    this.h = new Float64Array(cap);
    this.a = new Float64Array(cap);
  }
  push(t: number, x: number, y: number, w: number, h: number, a: number): void {
    if (this.n === this.cap) {
      // Keep every other sample: bounded memory, the whole track still covered.
      let j = 0;
      for (let i = 0; i < this.n; i += 2, j++) {
        this.t[j] = this.t[i];
        this.x[j] = this.x[i];
        this.y[j] = this.y[i];
        this.w[j] = this.w[i];
        this.h[j] = this.h[i];
        this.a[j] = this.a[i];
      }
      this.n = j;
    }
    const k = this.n++;
    this.t[k] = t;
    this.x[k] = x;
    this.y[k] = y;
    this.w[k] = w;
    this.h[k] = h;
    this.a[k] = a;
  }
}

function overlapShare(b: ArrayLike<number>, o: ArrayLike<number>): number {
  const iw = Math.min(b[0] + b[2], o[0] + o[2]) - Math.max(b[0], o[0]);
  if (iw <= 0) return 0;
  const ih = Math.min(b[1] + b[3], o[1] + o[3]) - Math.max(b[1], o[1]);
  if (ih <= 0) return 0;
  const area = b[2] * b[3];
  return area > 0 ? (iw * ih) / area : 0;
}

/** Whether a box [left, top, width, height] touches the left, right or bottom border of a width × height image. */
export function cutByBorder(b: ArrayLike<number>, width: number, height: number): boolean {
  const mu = BORDER_PX + BORDER_SHARE * b[2];
  const mv = BORDER_PX + BORDER_SHARE * b[3];
  return b[0] <= mu || b[0] + b[2] >= width - mu || b[1] + b[3] >= height - mv;
}

export class CameraPipeline {
  readonly cameraId: string;
  readonly siteId: string;
  private readonly trackers: ByteTracker[];
  /** Per class group, the camera's recent detection scores (undefined: fixed thresholds). */
  private readonly scores: ScoreDistribution[] | undefined;
  private readonly scoreFactors: number[];
  /** The camera's scores over all class groups, for groups still warming up (undefined: one group, or fixed). */
  private readonly pooledScores: ScoreDistribution | undefined;
  private readonly counter: CameraCounter;
  private readonly discharge: DischargeMeter | undefined;
  /**
   * Road users that end are added to the queue-discharge measurement (false while a new owner re-reads frames whose
   * outputs its predecessor emitted: a warm-up).
   */
  recordDischarge = true;
  private readonly riderMatchMs: number;
  /** Per group: global object index of each group-local detection. */
  private readonly groupObjects: PipelineObject[][] = [];
  private readonly groupIndex: number[][] = [];
  /** Per object of the frame: the two-wheeler object a person box sits on (-1 none), and its track id. */
  private carrier = new Int32Array(64);
  private detTrack = new Float64Array(64);
  private readonly finishedTwoWheelers = new Map<number, PartnerRecord>();
  private readonly pendingRiders: PendingRider[] = [];
  private readonly H: GroundHomography;
  private readonly samples = new Map<number, Samples>();
  private readonly maxSamples: number;
  private readonly riderShare: number;
  private xs = new Float64Array(64);
  private ys = new Float64Array(64);
  private ids = new Int32Array(64);
  private riderFlag = new Uint8Array(64);
  private readonly size = new Float64Array(2);
  private readonly pathOut = new Float64Array(2);
  private lastTs = Number.NEGATIVE_INFINITY;
  /** Frames dropped because their time went backwards (late or clock jump). */
  lateFrames = 0;
  /** Newborn tracks that continued a lost road user (ground-plane stitching). */
  stitched = 0;
  /** Positions dead-reckoned because the road user's box was cut by the image border. */
  borderReckoned = 0;
  /** Road users last seen whole that left the picture between two frames (reckoned on, see `exitEnd`). */
  borderExits = 0;
  /** Road users first seen whole that entered the picture between two frames (reckoned back, see `entered`). */
  borderEntries = 0;
  /** Image size of the last frame (0: unknown) and the frame interval (ms). */
  private frameW = 0;
  private frameH = 0;
  private readonly frameMs: number;
  private readonly exitFrames: number;
  private readonly exitBox = new Float64Array(4);
  private readonly imageW: number;
  private readonly imageH: number;
  private readonly borderMs: number;
  private readonly stitch: Readonly<StitchOptions> | undefined;
  /** Tracker key (tracker id × groups + group) → road-user id (RETIRED: ignore the tracker track). */
  private readonly keyToUid = new Map<number, number>();
  /** Road-user id → its current tracker key (absent while dormant). */
  private readonly uidKey = new Map<number, number>();
  /** Road-user id → last frame time it was seen (every live or dormant road user). */
  private readonly seenTs = new Map<number, number>();
  /** Dormant road users (tracker track ended) → time after which they are finished. */
  private readonly dormantUntil = new Map<number, number>();
  private nextUid = 1;
  private readonly vel = new Float64Array(4);
  /** One-track scratch for the counter. */
  private readonly one = new Float64Array(1);
  private readonly oneX = new Float64Array(1);
  private readonly oneY = new Float64Array(1);

  constructor(o: CameraPipelineOptions) {
    this.cameraId = o.cameraId;
    this.siteId = o.siteId;
    this.H = o.homography;
    const groups = (o.trackByClassGroup ?? true) ? GROUPS : 1;
    this.trackers = [];
    for (let g = 0; g < groups; g++) {
      this.trackers.push(new ByteTracker(pipelineTrackerOptions(o.fps ?? 10, o.tracker)));
      this.groupObjects.push([]);
      this.groupIndex.push([]);
    }
    const adapt = o.adaptiveScores ?? true;
    this.scores =
      adapt === false
        ? undefined
        : this.trackers.map(
            (t, g) =>
              new ScoreDistribution({
                ...GROUP_SCORE_REFERENCES[groups === 1 ? GROUPS : g],
                threshold: t.options.newTrackThresh,
                minFactor: MIN_SCORE_FACTOR,
                ...(adapt === true ? {} : adapt),
              }),
          );
    // All boxes of the camera, for the class groups still warming up (see `adaptiveScores`).
    this.pooledScores =
      adapt === false || groups === 1
        ? undefined
        : new ScoreDistribution({
            ...GROUP_SCORE_REFERENCES[GROUPS],
            threshold: this.trackers[0].options.newTrackThresh,
            minFactor: MIN_SCORE_FACTOR,
            ...(adapt === true ? {} : adapt),
          });
    this.scoreFactors = this.trackers.map(() => 1);
    this.riderMatchMs = o.riderMatchMs ?? 3000;
    // The frame interval smooths a track's second position across a gap (border entries reckoned back 1 s).
    const frameMs = o.fps === undefined ? undefined : 1000 / o.fps;
    this.counter = new CameraCounter({ frameMs, ...o.counter, lines: o.lines, zones: o.zones });
    this.discharge = o.discharge === false ? undefined : new DischargeMeter({ pcu: DEFAULT_PCU, ...o.discharge });
    this.maxSamples = o.maxSamplesPerTrack ?? 256;
    this.riderShare = o.riderShare ?? 0.5;
    this.stitch = o.stitch === false ? undefined : Object.freeze({ ...STITCH_DEFAULTS, ...o.stitch });
    this.imageW = o.imageSize?.width ?? 0;
    this.imageH = o.imageSize?.height ?? 0;
    this.borderMs = o.borderDeadReckonMs ?? 3000;
    this.frameMs = 1000 / (o.fps ?? 10);
    this.exitFrames = o.borderExitFrames ?? 6;
    if (!(this.exitFrames >= 0)) throw new RangeError(`borderExitFrames must be ≥ 0 (got ${o.borderExitFrames}).`);
    if (!(this.borderMs >= 0)) throw new RangeError(`borderDeadReckonMs must be ≥ 0 (got ${o.borderDeadReckonMs}).`);
  }

  /** Smallest factor applied to a class group's score thresholds (1: the fixed ones; see `adaptiveScores`). */
  get scoreThresholdFactor(): number {
    return Math.min(...this.scoreFactors);
  }

  /** Factor of each class group's score thresholds (person, two-wheeler, motor vehicle, other). */
  get scoreThresholdFactors(): readonly number[] {
    return this.scoreFactors;
  }

  get activeTracks(): number {
    return this.samples.size;
  }

  get lastFrameTs(): number {
    return this.lastTs;
  }

  /**
   * Processes one frame. Frames older than the last one are counted in `lateFrames` and skipped (a tracker
   * cannot go back in time). Finished road users are appended to `out`. `width`/`height`: the frame's image size
   * when known (else the `imageSize` option), for boxes cut by the image border.
   */
  processFrame(
    ts: number,
    frameObjects: readonly PipelineObject[],
    out: FinishedRoadUser[],
    width = this.imageW,
    height = this.imageH,
  ): void {
    if (ts <= this.lastTs) {
      this.lateFrames++;
      return;
    }
    // One vocabulary whatever the detector's convention (`Car`, `motorbike`, `poids lourd` …: class-labels.ts).
    const objects = withNormalisedLabels(frameObjects);
    this.lastTs = ts;
    this.frameW = width;
    this.frameH = height;
    const nObj = objects.length;
    if (this.riderFlag.length < nObj) {
      this.riderFlag = new Uint8Array(nObj * 2);
      this.carrier = new Int32Array(nObj * 2);
      this.detTrack = new Float64Array(nObj * 2);
    }
    // Rider flags: 1 = person box on a two-wheeler box, 2 = two-wheeler box carrying a person box.
    const flags = this.riderFlag;
    flags.fill(0, 0, nObj);
    this.carrier.fill(-1, 0, nObj);
    this.detTrack.fill(-1, 0, nObj);
    for (let i = 0; i < nObj; i++) {
      const ci = objects[i].cls;
      if (ci === 'bicycle' || ci === 'motorcycle') {
        // A rider the detector named after its two-wheeler: the box stacked on another two-wheeler box.
        const bi = objects[i].bbox;
        let best = 0;
        for (let j = 0; j < nObj; j++) {
          const c = objects[j].cls;
          if (j === i || (c !== 'bicycle' && c !== 'motorcycle')) continue;
          const bj = objects[j].bbox;
          if (bi[1] > bj[1] - STACK_TOP_SHARE * bj[3]) continue;
          if (Math.abs(bi[1] + bi[3] - (bj[1] + bj[3])) > STACK_BOTTOM_SHARE * bj[3]) continue;
          const share = overlapShare(bi, bj);
          if (share >= 0.3 && share > best) {
            best = share;
            flags[i] |= 4;
            this.carrier[i] = j;
          }
        }
        continue;
      }
      if (ci !== 'person') continue;
      let best = 0;
      for (let j = 0; j < nObj; j++) {
        const c = objects[j].cls;
        if (c !== 'bicycle' && c !== 'motorcycle') continue;
        const share = overlapShare(objects[i].bbox, objects[j].bbox);
        if (share >= 0.3) {
          flags[i] |= 1;
          flags[j] |= 2;
          if (share > best) {
            best = share;
            this.carrier[i] = j;
          }
        }
      }
    }
    // Score thresholds from the camera's score distribution (this frame included).
    const scores = this.scores;
    if (scores) {
      const one = scores.length === 1;
      const pooled = this.pooledScores;
      for (let i = 0; i < nObj; i++) {
        scores[one ? 0 : classGroup(objects[i].cls)].add(objects[i].score);
        pooled?.add(objects[i].score);
      }
      for (let g = 0; g < scores.length; g++) {
        const own = scores[g];
        // A group with too few boxes of its own yet follows the camera's pooled distribution (see `adaptiveScores`).
        const f = own.count >= own.options.warmup || !pooled ? own.factor() : pooled.factor();
        if (f !== this.scoreFactors[g]) {
          this.scoreFactors[g] = f;
          this.trackers[g].scaleScoreThresholds(f);
        }
      }
    }
    // Split by class group (one tracker each).
    const nGroups = this.trackers.length;
    for (let g = 0; g < nGroups; g++) {
      this.groupObjects[g].length = 0;
      this.groupIndex[g].length = 0;
    }
    for (let i = 0; i < nObj; i++) {
      const g = nGroups === 1 ? 0 : classGroup(objects[i].cls);
      this.groupObjects[g].push(objects[i]);
      this.groupIndex[g].push(i);
    }
    const frames = this.trackers.map((t, g) => t.update(ts, this.groupObjects[g] as never));
    let total = 0;
    for (const f of frames) total += f.count;
    if (this.xs.length < total) {
      this.xs = new Float64Array(total * 2);
      this.ys = new Float64Array(total * 2);
      this.ids = new Int32Array(total * 2);
    }
    // Road-user ids: tracker key (tracker id × groups + group) → pipeline id (same group remainder). Known keys
    // first, so that a track seen in this frame is never a stitching candidate for a newborn one.
    let off = 0;
    for (let g = 0; g < nGroups; g++) {
      const frame = frames[g];
      const n = frame.count;
      this.H.feetToGround(frame.feet, n, this.xs.subarray(off), this.ys.subarray(off));
      for (let i = 0; i < n; i++) {
        const uid = this.keyToUid.get(frame.ids[i] * nGroups + g);
        this.ids[off + i] = uid ?? NEW_TRACK;
        if (uid !== undefined && uid >= 0) this.seenTs.set(uid, ts);
      }
      off += n;
    }
    off = 0;
    let w = 0;
    for (let g = 0; g < nGroups; g++) {
      const frame = frames[g];
      const n = frame.count;
      for (let i = 0; i < n; i++) {
        const x = this.xs[off + i];
        const y = this.ys[off + i];
        let id = this.ids[off + i];
        const dl = frame.detIndex[i];
        const d = dl >= 0 ? this.groupIndex[g][dl] : -1;
        const b = d >= 0 ? objects[d].bbox : frame.boxes.subarray(4 * i, 4 * i + 4);
        if (id === NEW_TRACK || id === RETIRED) {
          // A newborn track, or a retired one that came back (its road user went on with another track, so
          // what it follows now is someone else): a road user it continues, or a new one.
          const key = frame.ids[i] * nGroups + g;
          groundBoxSize(this.H.h, b[0], b[1], b[2], b[3], this.size);
          id = this.stitchOrCreate(g, ts, x, y, this.size[0]);
          this.keyToUid.set(key, id);
          this.uidKey.set(id, key);
          this.seenTs.set(id, ts);
        }
        let s = this.samples.get(id);
        if (!s) {
          s = new Samples(this.maxSamples);
          this.samples.set(id, s);
        }
        let px = x;
        let py = y;
        let feed = true;
        let anchoredNow = false;
        let heldNow = false;
        if (this.borderMs > 0 && width > 0 && height > 0) {
          if (cutByBorder(b, width, height)) {
            if (s.frames === 0) s.pending = true; // first seen cut: no true foot point yet
            if (s.held) this.releaseHeld(id, s);
            if (s.pending) feed = false;
            else if (this.reckon(s, ts)) {
              px = this.vel[2];
              py = this.vel[3];
            }
          } else {
            s.cutSince = Number.NaN;
            if (s.uncutFrames++ === 0) s.firstUncutTs = ts;
            if (s.pending) {
              feed = false;
              anchoredNow = true; // decided below, once this frame's sample is in
            } else if (s.frames === 0 && this.exitFrames > 0) {
              s.held = true; // first seen whole: fed with its second box, once it is known where it came from
              feed = false;
            } else if (s.held) heldNow = true;
          }
        }
        s.box0.set(s.box1);
        s.box0Ts = s.box1Ts;
        s.box1[0] = b[0];
        s.box1[1] = b[1];
        s.box1[2] = b[0] + b[2];
        s.box1[3] = b[1] + b[3];
        s.box1Ts = ts;
        groundBoxSize(this.H.h, b[0], b[1], b[2], b[3], this.size);
        s.push(ts, px, py, this.size[0], this.size[1], b[3] > 0 ? b[2] / b[3] : Number.NaN);
        if (anchoredNow && this.velocity(s, s.firstUncutTs)) {
          // Entered through the border: the counter starts from where it was `BORDER_EXIT_MS` before it was first
          // seen (it was moving before its box was big enough to be detected), reckoned back from its uncut
          // positions (at most `borderDeadReckonMs` back).
          s.pending = false;
          feed = true;
          const back = Math.min(ts - s.t[0] + BORDER_EXIT_MS, this.borderMs);
          this.one[0] = id;
          this.oneX[0] = this.vel[2] - (this.vel[0] * back) / 1000;
          this.oneY[0] = this.vel[3] - (this.vel[1] * back) / 1000;
          if (back > 0) this.counter.update(ts - back, this.one, this.oneX, this.oneY, 1);
        }
        if (heldNow) this.entered(id, s, width, height);
        if (feed) {
          this.ids[w] = id;
          this.xs[w] = px;
          this.ys[w] = py;
          w++;
        }
        s.frames++;
        if (d >= 0) {
          this.detTrack[d] = id;
          const v = detectorClassIndex(objects[d].cls);
          if (v >= 0) s.votes[v] += 1;
          if (flags[d] & 1) s.riderFrames++;
          if (flags[d] & 2) s.withRiderFrames++;
          if (flags[d] & 4) s.stackedFrames++;
        }
      }
      off += n;
    }
    // Partner of each rider box: the track of the two-wheeler box it sits on (person or stacked two-wheeler box).
    for (let i = 0; i < nObj; i++) {
      const j = this.carrier[i];
      if (j < 0 || this.detTrack[i] < 0 || this.detTrack[j] < 0) continue;
      const s = this.samples.get(this.detTrack[i]);
      if (!s) continue;
      s.partners ??= new Map();
      const p = this.detTrack[j];
      s.partners.set(p, (s.partners.get(p) ?? 0) + 1);
    }
    this.counter.update(ts, this.ids, this.xs, this.ys, w);
    for (let g = 0; g < nGroups; g++) {
      for (const f of frames[g].finished) this.trackerEnded(f.id * nGroups + g, ts, out);
    }
    // Dormant road users nobody continued in time end now.
    if (this.dormantUntil.size > 0) {
      for (const [id, until] of this.dormantUntil) {
        if (until < ts) {
          this.dormantUntil.delete(id);
          this.finishTrack(id, out);
        }
      }
    }
    // Forget finished two-wheelers nobody can still ask about.
    if (this.finishedTwoWheelers.size > 0) {
      for (const [id, r] of this.finishedTwoWheelers) {
        if (r.lastTs < ts - PARTNER_KEEP_MS) this.finishedTwoWheelers.delete(id);
      }
    }
    this.discharge?.advance(ts);
  }

  /**
   * Queue-discharge aggregates (saturated headways per approach and movement and 15 minutes) that no later frame
   * can change; every open one with `all` (end of input). Aggregates only: no time or id of a road user.
   */
  takeDischarge(all = false): DischargeRow[] {
    return this.discharge?.take(all) ?? [];
  }

  /** Ends every live track (end of input, or a long gap in the stream). */
  flush(out: FinishedRoadUser[]): void {
    const nGroups = this.trackers.length;
    for (let g = 0; g < nGroups; g++) this.trackers[g].flush();
    this.keyToUid.clear();
    this.uidKey.clear();
    this.dormantUntil.clear();
    for (const id of [...this.samples.keys()]) this.finishTrack(id, out);
    // Partners that never finished (cannot happen after the loop above) or were forgotten: decide alone.
    for (const p of this.pendingRiders.splice(0)) out.push(this.decideRider(p.user, p.summaries));
    this.finishedTwoWheelers.clear();
    this.discharge?.flushAll();
  }

  /**
   * Rider decision against the counts of its partners (see the class comment): every two-wheeler track its box sat
   * on, so that a two-wheeler tracked in fragments (its box missed for a while) still covers its rider's crossings.
   */
  private decideRider(user: FinishedRoadUser, partners: readonly TrackSummary[]): FinishedRoadUser {
    const own = user.summary;
    const covered = (c: (typeof own.crossings)[number]): boolean =>
      partners.some((p) =>
        p.crossings.some(
          (q) => q.lineId === c.lineId && q.direction === c.direction && Math.abs(q.ts - c.ts) <= this.riderMatchMs,
        ),
      );
    const crossings = own.crossings.filter((c) => !covered(c));
    const movement = own.movement && !partners.some((p) => p.movement) ? own.movement : null;
    if (crossings.length === 0 && movement === null) return { ...user, rider: true };
    return { ...user, summary: { ...own, crossings, movement }, rider: false };
  }

  /**
   * The tracker ended a track: its road user stays dormant (stitching candidate) until its gap is too long, unless
   * stitching is off. A retired tracker track (continued by another one) is just forgotten.
   */
  private trackerEnded(key: number, ts: number, out: FinishedRoadUser[]): void {
    const id = this.keyToUid.get(key);
    this.keyToUid.delete(key);
    if (id === undefined || id < 0) return;
    this.uidKey.delete(id);
    const s = this.samples.get(id);
    if (!this.stitch || !s || s.n === 0) {
      this.finishTrack(id, out);
      return;
    }
    const last = s.t[s.n - 1];
    const until = last + this.maxGap(s);
    if (until < ts) this.finishTrack(id, out);
    else this.dormantUntil.set(id, until);
  }

  /**
   * End of a road user seen at the image border. Never placed on the ground (always cut, or too short to measure
   * a velocity): its raw foot points go to the counter now, as they would have without the border rule. Left the
   * picture through the border while moving: the counter gets one more position, reckoned `BORDER_EXIT_MS` after
   * it was last seen (at most `borderDeadReckonMs` after its last uncut position), so a line it was crossing while
   * leaving the picture is counted.
   */
  private borderEnd(id: number, s: Samples): void {
    if (s.held) this.releaseHeld(id, s);
    this.one[0] = id;
    if (s.pending) {
      for (let i = 0; i < s.n; i++) {
        this.oneX[0] = s.x[i];
        this.oneY[0] = s.y[i];
        this.counter.update(s.t[i], this.one, this.oneX, this.oneY, 1);
      }
      return;
    }
    if (Number.isNaN(s.cutSince)) {
      this.exitEnd(s);
      return;
    }
    if (!s.cutAnchored) return;
    const last = s.t[s.n - 1];
    const tEnd = Math.min(last + BORDER_EXIT_MS, s.cutT0 + this.borderMs);
    if (!(tEnd > last)) return;
    const dt = (tEnd - s.cutT0) / 1000;
    this.oneX[0] = s.cutX + s.cutVx * dt;
    this.oneY[0] = s.cutY + s.cutVy * dt;
    this.counter.update(tEnd, this.one, this.oneX, this.oneY, 1);
  }

  /** Feeds the counter the held first position of a road user first seen whole (see `entered`). */
  private releaseHeld(id: number, s: Samples): void {
    s.held = false;
    this.one[0] = id;
    this.oneX[0] = s.x[0];
    this.oneY[0] = s.y[0];
    this.counter.update(s.t[0], this.one, this.oneX, this.oneY, 1);
  }

  /**
   * Second box of a road user first seen whole (its first position held back): when its first box, moved back by
   * `borderExitFrames` frames of its image velocity, is cut by the image border, it entered the picture between two
   * frames, and the counter starts from where it was `BORDER_EXIT_MS` before its first sighting, reckoned back on the
   * ground from its two positions (the rule for a road user first seen cut, for one too fast to be seen cut at a
   * low frame rate). Then its held first position goes to the counter.
   */
  private entered(id: number, s: Samples, width: number, height: number): void {
    if (this.movesAcrossBorder(s, -1, width, height)) {
      const back = (s.t[s.n - 1] - s.t[0] + BORDER_EXIT_MS) / 1000;
      this.one[0] = id;
      this.oneX[0] = this.vel[2] - this.vel[0] * back;
      this.oneY[0] = this.vel[3] - this.vel[1] * back;
      this.counter.update(s.t[0] - BORDER_EXIT_MS, this.one, this.oneX, this.oneY, 1);
      this.borderEntries++;
    }
    this.releaseHeld(id, s);
  }

  /**
   * A road user last seen whole whose box, moved on by its image velocity (its last two boxes), would be cut by the
   * image border within `borderExitFrames` frames left the picture: the counter gets one more position, reckoned
   * on the ground `BORDER_EXIT_MS` after it was last seen from its velocity over its last second (`this.one` holds
   * its id). At a low frame rate a fast road user goes from whole to gone in one frame, or its last, cut boxes score
   * too low to go on with its track; a line drawn near the border was then never seen crossed (chartres-centre
   * through 5 fps variants with masts of 4–6 m: 58 of 202 lost motorcycle crossings, `diagnose-crossings.ts`).
   */
  private exitEnd(s: Samples): void {
    if (!(this.frameW > 0 && this.frameH > 0) || !this.movesAcrossBorder(s, 1, this.frameW, this.frameH)) return;
    const dt = BORDER_EXIT_MS / 1000;
    this.oneX[0] = this.vel[2] + this.vel[0] * dt;
    this.oneY[0] = this.vel[3] + this.vel[1] * dt;
    this.counter.update(s.t[s.n - 1] + BORDER_EXIT_MS, this.one, this.oneX, this.oneY, 1);
    this.borderExits++;
  }

  /**
   * Whether the road user's box, moved `borderExitFrames` frames on (`dir` 1, from its last box) or back (−1, from
   * the one before) by the image velocity of its last two boxes (at most `EXIT_MAX_BOX_GAP_FRAMES` apart), is cut
   * by the image border while the road user moves on the ground (its velocity left in `this.vel`).
   */
  private movesAcrossBorder(s: Samples, dir: 1 | -1, width: number, height: number): boolean {
    const dtBox = s.box1Ts - s.box0Ts;
    if (!(this.exitFrames > 0 && dtBox > 0 && dtBox <= EXIT_MAX_BOX_GAP_FRAMES * this.frameMs)) return false;
    const k = (dir * this.exitFrames * this.frameMs) / dtBox;
    const from = dir === 1 ? s.box1 : s.box0;
    const b = this.exitBox;
    for (let i = 0; i < 4; i++) b[i] = from[i] + k * (s.box1[i] - s.box0[i]);
    b[2] -= b[0];
    b[3] -= b[1];
    if (!(b[2] > 0 && b[3] > 0) || !cutByBorder(b, width, height) || !this.velocity(s)) return false;
    return Math.hypot(this.vel[0], this.vel[1]) >= (this.stitch ?? STITCH_DEFAULTS).stoppedSpeedMs;
  }

  /**
   * Dead-reckoned position (into `this.vel[2..3]`) of a road user whose box is cut by the image border at `ts`
   * (see `borderDeadReckonMs`); false when it has no uncut positions to reckon from (first seen cut).
   */
  private reckon(s: Samples, ts: number): boolean {
    if (Number.isNaN(s.cutSince)) {
      s.cutSince = ts;
      s.cutAnchored = s.uncutFrames >= 2 && this.velocity(s, s.firstUncutTs);
      if (s.cutAnchored) {
        s.cutT0 = s.t[s.n - 1];
        s.cutVx = this.vel[0];
        s.cutVy = this.vel[1];
        s.cutX = this.vel[2];
        s.cutY = this.vel[3];
      }
    }
    if (!s.cutAnchored) return false;
    const dt = Math.min(ts - s.cutT0, this.borderMs) / 1000;
    this.vel[2] = s.cutX + s.cutVx * dt;
    this.vel[3] = s.cutY + s.cutVy * dt;
    this.borderReckoned++;
    return true;
  }

  /**
   * Velocity (m/s) over the last second a road user was seen (samples from `fromTs` on), into `this.vel`; false
   * when not measurable.
   */
  private velocity(s: Samples, fromTs = Number.NEGATIVE_INFINITY): boolean {
    const n = s.n;
    if (n < 2) return false;
    const tEnd = s.t[n - 1];
    let lo = n - 1;
    while (lo > 0 && s.t[lo - 1] >= tEnd - 1000 && s.t[lo - 1] >= fromTs) lo--;
    if (n - lo < 2 || tEnd - s.t[lo] < 90) return false;
    let mt = 0;
    let mx = 0;
    let my = 0;
    for (let i = lo; i < n; i++) {
      mt += (s.t[i] - tEnd) / 1000;
      mx += s.x[i];
      my += s.y[i];
    }
    const k = n - lo;
    mt /= k;
    mx /= k;
    my /= k;
    let stt = 0;
    let stx = 0;
    let sty = 0;
    for (let i = lo; i < n; i++) {
      const dt = (s.t[i] - tEnd) / 1000 - mt;
      stt += dt * dt;
      stx += dt * (s.x[i] - mx);
      sty += dt * (s.y[i] - my);
    }
    if (!(stt > 0)) return false;
    this.vel[0] = stx / stt;
    this.vel[1] = sty / stt;
    // Position at the last sample from the fit (less jitter than the last raw point).
    this.vel[2] = mx + this.vel[0] * (0 - mt);
    this.vel[3] = my + this.vel[1] * (0 - mt);
    return true;
  }

  private maxGap(s: Samples): number {
    const o = this.stitch as StitchOptions;
    if (!this.velocity(s)) return o.maxGapMs;
    return Math.hypot(this.vel[0], this.vel[1]) < o.stoppedSpeedMs ? o.stoppedMaxGapMs : o.maxGapMs;
  }

  /**
   * A newborn track of group `g` at (x, y): the id of the dormant or lost road user of the same group it continues
   * (nearest to its predicted position, within the gate), or a new id. The continued road user's previous
   * tracker track, if still alive, is retired.
   */
  private stitchOrCreate(g: number, ts: number, x: number, y: number, widthM: number): number {
    const nGroups = this.trackers.length;
    const o = this.stitch;
    if (o) {
      let best = -1;
      let bestScore = 1;
      for (const [id, seen] of this.seenTs) {
        const cg = id % nGroups;
        if (!(seen < ts) || (cg !== g && !(o.crossGroup && crossGroupPair(cg, g)))) continue;
        const s = this.samples.get(id);
        if (!s || s.n === 0) continue;
        const gapMs = ts - s.t[s.n - 1];
        // Another class group (a two-wheeler whose box the detector named `person` for a frame, or back): only
        // just lost, of its size on the ground, and behind any candidate of the newborn's own group.
        let penalty = 1;
        if (cg !== g) {
          if (gapMs > CROSS_GROUP_MAX_GAP_FRAMES * this.frameMs) continue;
          const cw = recentWidth(s);
          if (
            !(widthM > 0 && cw > 0) ||
            widthM > CROSS_GROUP_WIDTH_RATIO * cw ||
            cw > CROSS_GROUP_WIDTH_RATIO * widthM
          ) {
            continue;
          }
          penalty = CROSS_GROUP_PENALTY;
        }
        let px = s.x[s.n - 1];
        let py = s.y[s.n - 1];
        let maxGap = o.maxGapMs;
        const known = this.velocity(s);
        if (known) {
          const speed = Math.hypot(this.vel[0], this.vel[1]);
          if (speed < o.stoppedSpeedMs) maxGap = o.stoppedMaxGapMs;
          else {
            const dt = Math.min(gapMs, o.maxGapMs) / 1000;
            px = this.vel[2] + this.vel[0] * dt;
            py = this.vel[3] + this.vel[1] * dt;
          }
        }
        if (gapMs > maxGap) continue;
        // No velocity yet (seen in one frame, or frames too close): it may have moved at any plausible speed.
        const unknown = cg === 0 ? Math.min(o.unknownSpeedMs, PERSON_MAX_SPEED_MS) : o.unknownSpeedMs;
        const growth = known ? o.radiusGrowthMs : Math.max(o.radiusGrowthMs, unknown);
        const r = Math.min(o.maxRadiusM, o.radiusM + (growth * gapMs) / 1000);
        const score = (penalty * Math.hypot(x - px, y - py)) / r;
        if (score < bestScore) {
          bestScore = score;
          best = id;
        }
      }
      if (best >= 0) {
        const oldKey = this.uidKey.get(best);
        if (oldKey !== undefined) this.keyToUid.set(oldKey, RETIRED);
        this.dormantUntil.delete(best);
        this.stitched++;
        return best;
      }
    }
    return this.nextUid++ * nGroups + g;
  }

  private finishTrack(id: number, out: FinishedRoadUser[]): void {
    const s = this.samples.get(id);
    this.samples.delete(id);
    this.seenTs.delete(id);
    if (s && s.n > 0 && this.borderMs > 0) this.borderEnd(id, s);
    const summary = this.counter.finish(id);
    if (!s || !summary) {
      this.partnerEnded(id, undefined, out);
      return;
    }
    const speeds = new Float64Array(s.n);
    const times = new Float64Array(s.n);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < s.n; i++) {
      const t = s.t[i];
      while (s.t[lo] < t - 1000) lo++;
      if (hi < i) hi = i;
      while (hi + 1 < s.n && s.t[hi + 1] <= t + 1000) hi++;
      const v = hi > lo ? lsSpeed(s.t, s.x, s.y, lo, hi + 1) : Number.NaN;
      speeds[i] = Number.isFinite(v) ? v * MS_TO_KMH : Number.NaN;
      times[i] = t / 1000;
    }
    pathLengthAndStraightness(s.x, s.y, s.n, this.pathOut);
    const features = new Float32Array(FEATURE_COUNT);
    computeTrackFeatures(
      {
        votes: s.votes,
        widthsM: s.w.subarray(0, s.n),
        heightsM: s.h.subarray(0, s.n),
        speedsKmh: speeds,
        timesS: times,
        aspects: s.a.subarray(0, s.n),
        durationS: s.n > 1 ? (s.t[s.n - 1] - s.t[0]) / 1000 : 0,
        nFrames: s.frames,
        pathLengthM: this.pathOut[0],
        straightness: this.pathOut[1],
        // A box in a person + two-wheeler pair: the two-wheeler carrying a rider, or the rider on it.
        personBicycleShare: s.frames > 0 ? Math.max(s.withRiderFrames, s.riderFrames) / s.frames : 0,
      },
      features,
    );
    let best = -1;
    for (let k = 0; k < 6; k++) if (s.votes[k] > 0 && (best < 0 || s.votes[k] > s.votes[best])) best = k;
    const voteMode = best >= 0 ? VOTE_TO_MODE[best] : undefined;
    if (this.recordDischarge) this.discharge?.add(summary, voteMode, s.t, speeds, s.n);
    const user: FinishedRoadUser = { summary, features, voteMode, rider: false };
    const nGroups = this.trackers.length;
    const twoWheeler = nGroups > 1 ? id % nGroups === TWO_WHEELER_GROUP : best === 1 || best === 3;
    const isRider =
      s.frames > 0 &&
      ((best === 0 && s.riderFrames / s.frames >= this.riderShare) ||
        (twoWheeler && s.stackedFrames / s.frames >= this.riderShare));
    if (isRider) {
      const waiting = new Set<number>();
      const summaries: TrackSummary[] = [];
      for (const [p, k] of s.partners ?? []) {
        if (k < MIN_PARTNER_FRAMES || p === id) continue;
        if (this.samples.has(p)) waiting.add(p);
        else {
          const r = this.finishedTwoWheelers.get(p);
          if (r) summaries.push(r.summary);
        }
      }
      // Decided when the last partner still tracked ends.
      if (waiting.size > 0) this.pendingRiders.push({ user, waiting, summaries });
      else out.push(this.decideRider(user, summaries));
      this.partnerEnded(id, undefined, out);
      return;
    }
    out.push(user);
    if (twoWheeler) this.finishedTwoWheelers.set(id, { summary, lastTs: this.lastTs });
    this.partnerEnded(id, twoWheeler ? summary : undefined, out);
  }

  /** A track ended: riders waiting for it get its counts (a two-wheeler's) and are decided once nobody else is left. */
  private partnerEnded(id: number, summary: TrackSummary | undefined, out: FinishedRoadUser[]): void {
    for (let i = this.pendingRiders.length - 1; i >= 0; i--) {
      const p = this.pendingRiders[i];
      if (!p.waiting.delete(id)) continue;
      if (summary) p.summaries.push(summary);
      if (p.waiting.size > 0) continue;
      this.pendingRiders.splice(i, 1);
      out.push(this.decideRider(p.user, p.summaries));
    }
  }
}

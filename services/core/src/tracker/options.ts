/**
 * Parameters of the ByteTrack-family tracker. Defaults are ByteTrack's published MOT17 settings
 * (Zhang et al. 2022, `tools/track.py`), with the lost-track buffer scaled by the camera frame rate.
 *
 * Scores are expected in [0, 1] (the `detections.v1` contract); feeds with another scale must be
 * normalised before tracking (see `normaliseScores` in `mot/run.ts`).
 */

export interface ByteTrackerOptions {
  /**
   * Camera frame rate; one `update` call is one frame. Scales the lost-track buffer.
   * @default 30
   */
  fps: number;
  /**
   * Frames a lost track is kept for re-identification, at 30 fps (ByteTrack `track_buffer`).
   * The effective buffer is `round(fps / 30 × trackBuffer)` frames.
   * @default 30
   */
  trackBuffer: number;
  /**
   * Boxes with score ≥ trackHigh are "high": first association, and may start tracks.
   * @default 0.6
   */
  trackHigh: number;
  /**
   * Boxes with trackLow ≤ score < trackHigh are "low": used only to extend tracks that the
   * high boxes left unmatched (ByteTrack's second association). Lower boxes are ignored.
   * @default 0.1
   */
  trackLow: number;
  /**
   * Minimum score for an unmatched high box to start a new track.
   * @default trackHigh + 0.1
   */
  newTrackThresh: number;
  /**
   * First association (high boxes ↔ tracked and lost tracks): pairs with cost ≥ this are not
   * matched; cost = 1 − IoU, or 1 − IoU × score with `fuseScore`.
   * @default 0.8
   */
  matchThresh: number;
  /**
   * Second association (low boxes ↔ remaining tracked tracks): max IoU distance (1 − IoU).
   * @default 0.5
   */
  lowMatchThresh: number;
  /**
   * The second association also offers the high boxes the first one left unmatched (IoU only, `lowMatchThresh`),
   * not only the low boxes. The first association fuses the score into the cost (1 − IoU × score), so a box just
   * above `trackHigh` needs an IoU of 1 − `matchThresh` / score with its prediction (0.5 at 0.4) while a weaker, low box
   * needs only 1 − `lowMatchThresh`: at a low frame rate the prediction of a fast road user is rough, and such a
   * middling box ended its track and started another. `false`: ByteTrack (high boxes left over only start tracks).
   * @default false
   */
  highInSecondAssociation: boolean;
  /**
   * Tracks lost for at most this many frames also take part in the second association (IoU with a low box,
   * `lowMatchThresh`). ByteTrack extends only tracks matched in the previous frame with low boxes, so a road user
   * whose box was missed once (or named another class group's class once) and that scores low afterwards is lost
   * for good; at a low frame rate a missed frame is a large share of its time in view. `0`: ByteTrack.
   * @default 0
   */
  lostInSecondAssociation: number;
  /**
   * Association of unconfirmed (newborn) tracks with the remaining high boxes: max cost.
   * @default 0.7
   */
  unconfirmedMatchThresh: number;
  /**
   * Fuse detection score into the IoU cost of the first and unconfirmed associations
   * (ByteTrack `fuse_score`; ByteTrack turns it off for very crowded MOT20 scenes).
   * @default true
   */
  fuseScore: boolean;
  /**
   * Matched frames (including the birth frame) before a track is confirmed and reported.
   * An unconfirmed track that misses one frame is dropped.
   * @default 2
   */
  minHits: number;
  /**
   * Tentative births from weak boxes: a box scoring at least `lowBirthScore` × the new-track threshold but below
   * it, that no tracked track covers (IoU ≥ 0.3), starts an unconfirmed track; it goes on with weak or strong boxes
   * (IoU association) and is confirmed and reported after this many matched frames in a row, or dies at its first
   * miss. A road user hidden or far enough to score low all the way across a counting line then still gets a
   * track (counted from its confirmation on). `0` turns it off (ByteTrack: weak boxes never start tracks).
   * @default 0
   */
  lowBirthHits: number;
  /** Lowest score of a tentative birth, as a share of the new-track threshold (see `lowBirthHits`). @default 0.5 */
  lowBirthScore: number;
  /**
   * A tentative track (`lowBirthHits`) going on with a weak box: max IoU distance (1 − IoU; with `youngTrackBuffer`,
   * of the buffered boxes). At a low frame rate a weak road user's box moves by much of its width between frames: a
   * motorcyclist far from a 5 fps camera scores low for seconds, and each of its weak boxes started a tentative track
   * that its next box overlapped too little to confirm (IoU 0.45 where `lowMatchThresh` asks 0.5), so its track
   * began after the counting line. The camera pipeline sets 0.7 (IoU ≥ 0.3, as an unconfirmed track takes a strong
   * box, `unconfirmedMatchThresh`, without the score fusion a weak box would never pass).
   * @default lowMatchThresh
   */
  tentativeMatchThresh: number;
  /**
   * Buffered IoU for young tracks (matched in fewer than 3 frames, their Kalman velocity not learnt yet): in every
   * association their predicted box and each candidate box are widened by this share of their own width and
   * height on each side before the IoU is taken (the buffered IoU of C-BIoU, Yang et al., WACV 2023). At a low
   * frame rate a fast road user's box moves by most of its width between frames, so a newborn track, predicted
   * where it was, overlaps its next box too little and a tentative track (`lowBirthHits`) never gets its second
   * box. `0`: plain IoU (ByteTrack).
   * @default 0
   */
  youngTrackBuffer: number;
  /**
   * Confirm tracks born in the first frame a tracker sees (ByteTrack behaviour: there is no
   * history to confirm them against).
   * @default true
   */
  confirmFirstFrame: boolean;
  /**
   * A tracked and a lost track closer than this IoU distance are duplicates; the younger one is
   * dropped (ByteTrack `remove_duplicate_stracks`).
   * @default 0.15
   */
  duplicateIouDistance: number;
  /**
   * Foot-point history: a new point is kept when it is at least this many pixels from the last
   * kept point.
   * @default 4
   */
  historyMinStep: number;
  /**
   * Foot-point history: maximum points kept per track; when full, every other point is dropped
   * (the first and the newest are kept), so the path stays evenly thinned.
   * @default 64
   */
  historyMaxPoints: number;
  /**
   * Kalman position noise relative to box height (DeepSORT / ByteTrack value).
   * @default 1/20
   */
  stdWeightPosition: number;
  /**
   * Kalman velocity noise relative to box height (DeepSORT / ByteTrack value).
   * @default 1/160
   */
  stdWeightVelocity: number;
}

/** Invalid tracker options; `code` is stable. */
export class TrackerConfigError extends Error {
  readonly code = 'PASSAGE_TRACKER_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TrackerConfigError';
  }
}

export const BYTE_TRACKER_DEFAULTS: Readonly<Omit<ByteTrackerOptions, 'newTrackThresh' | 'tentativeMatchThresh'>> =
  Object.freeze({
    fps: 30,
    trackBuffer: 30,
    trackHigh: 0.6,
    trackLow: 0.1,
    matchThresh: 0.8,
    lowMatchThresh: 0.5,
    highInSecondAssociation: false,
    lostInSecondAssociation: 0,
    unconfirmedMatchThresh: 0.7,
    fuseScore: true,
    minHits: 2,
    lowBirthHits: 0,
    lowBirthScore: 0.5,
    youngTrackBuffer: 0,
    confirmFirstFrame: true,
    duplicateIouDistance: 0.15,
    historyMinStep: 4,
    historyMaxPoints: 64,
    stdWeightPosition: 1 / 20,
    stdWeightVelocity: 1 / 160,
  });

/** Fills defaults and validates; the result is frozen. */
export function resolveByteTrackerOptions(options: Partial<ByteTrackerOptions> = {}): Readonly<ByteTrackerOptions> {
  const o: ByteTrackerOptions = {
    ...BYTE_TRACKER_DEFAULTS,
    newTrackThresh: (options.trackHigh ?? BYTE_TRACKER_DEFAULTS.trackHigh) + 0.1,
    tentativeMatchThresh: options.lowMatchThresh ?? BYTE_TRACKER_DEFAULTS.lowMatchThresh,
    ...options,
  };
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new TrackerConfigError(message);
  };
  check(o.fps > 0 && Number.isFinite(o.fps), `Tracker option fps must be a positive number (got ${o.fps}).`);
  check(o.trackBuffer >= 0, `Tracker option trackBuffer must be ≥ 0 frames (got ${o.trackBuffer}).`);
  check(
    o.trackLow >= 0 && o.trackLow <= o.trackHigh && o.trackHigh <= 1,
    `Tracker options need 0 ≤ trackLow ≤ trackHigh ≤ 1 (got trackLow ${o.trackLow}, trackHigh ${o.trackHigh}); scores must be normalised to [0, 1].`,
  );
  check(
    o.newTrackThresh >= o.trackHigh,
    `Tracker option newTrackThresh (${o.newTrackThresh}) must be ≥ trackHigh (${o.trackHigh}): only high boxes start tracks.`,
  );
  for (const k of [
    'matchThresh',
    'lowMatchThresh',
    'tentativeMatchThresh',
    'unconfirmedMatchThresh',
    'duplicateIouDistance',
  ] as const) {
    check(o[k] > 0 && o[k] <= 1, `Tracker option ${k} is a cost in (0, 1] (got ${o[k]}).`);
  }
  check(
    Number.isInteger(o.minHits) && o.minHits >= 1,
    `Tracker option minHits must be an integer ≥ 1 (got ${o.minHits}).`,
  );
  check(
    Number.isInteger(o.lostInSecondAssociation) && o.lostInSecondAssociation >= 0,
    `Tracker option lostInSecondAssociation must be an integer ≥ 0 frames (got ${o.lostInSecondAssociation}).`,
  );
  check(
    Number.isInteger(o.lowBirthHits) && o.lowBirthHits >= 0,
    `Tracker option lowBirthHits must be an integer ≥ 0 (got ${o.lowBirthHits}).`,
  );
  check(
    o.lowBirthScore > 0 && o.lowBirthScore <= 1,
    `Tracker option lowBirthScore is a share in (0, 1] (got ${o.lowBirthScore}).`,
  );
  check(
    o.youngTrackBuffer >= 0 && o.youngTrackBuffer <= 2,
    `Tracker option youngTrackBuffer is a share of the box size in [0, 2] (got ${o.youngTrackBuffer}).`,
  );
  check(
    Number.isInteger(o.historyMaxPoints) && o.historyMaxPoints >= 2,
    `Tracker option historyMaxPoints must be an integer ≥ 2 (got ${o.historyMaxPoints}).`,
  );
  check(o.historyMinStep >= 0, `Tracker option historyMinStep must be ≥ 0 px (got ${o.historyMinStep}).`);
  return Object.freeze(o);
}

/** Frames a lost track survives: round(fps / 30 × trackBuffer). */
export function maxLostFrames(o: Pick<ByteTrackerOptions, 'fps' | 'trackBuffer'>): number {
  return Math.round((o.fps / 30) * o.trackBuffer);
}

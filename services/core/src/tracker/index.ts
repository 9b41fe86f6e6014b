export {
  ByteTracker,
  type DetectionColumns,
  type FinishedTrack,
  type TrackEndReason,
  type TrackerBox,
  type TrackerFrame,
} from './byte-tracker.ts';
export { KalmanBoxFilter, type KalmanNoise, KF_COV_STRIDE, KF_MEAN_STRIDE } from './kalman.ts';
export {
  BYTE_TRACKER_DEFAULTS,
  type ByteTrackerOptions,
  maxLostFrames,
  resolveByteTrackerOptions,
  TrackerConfigError,
} from './options.ts';
export { SCORE_ADAPT_DEFAULTS, type ScoreAdaptOptions, ScoreDistribution } from './score-distribution.ts';

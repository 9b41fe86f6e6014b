export {
  ByteTracker,
  type DetectionColumns,
  type TrackEndReason,
  type TrackerBox,
  type TrackerFrame,
  type TrackSummary,
} from './byte-tracker.ts';
export { KF_COV_STRIDE, KF_MEAN_STRIDE, KalmanBoxFilter, type KalmanNoise } from './kalman.ts';
export {
  BYTE_TRACKER_DEFAULTS,
  type ByteTrackerOptions,
  maxLostFrames,
  resolveByteTrackerOptions,
  TrackerConfigError,
} from './options.ts';

export {
  aggregateMinutes,
  type LineCountRow,
  MINUTE_MS,
  type MinuteAggregates,
  MinuteAggregator,
  type MovementRow,
  minuteOf,
  rollUpLineCounts,
} from './aggregate.ts';
export { CameraCounter } from './counter.ts';
export { SPEED_BIN_KMH, SPEED_BINS, SpeedHistogram } from './histogram.ts';
export {
  type CameraCounterOptions,
  type CountingLine,
  type Direction,
  type LineCrossing,
  MODES,
  type Mode,
  type TrackSummary,
  type TurningMovement,
  type Zone,
  type ZoneVisit,
} from './types.ts';

/** Sensor synthesisers: camera detections, counter records and raw sightings from a scenario's trajectories. */
export {
  type CounterNoise,
  type CounterSynthOptions,
  counterClass,
  counterClasses,
  DEFAULT_COUNTER_NOISE,
  registeredCrossings,
  synthesizeCounts,
} from './counters.ts';
export {
  DEFAULT_DETECTION_NOISE,
  type DetectionNoise,
  type DetectionStats,
  type DetectionSynthOptions,
  DISTANCE_BANDS_M,
  detectorConventionOf,
  LABEL_RULES,
  labelShares,
  MOTO_RIDER_SHARE,
  newDetectionStats,
  summarizeDetectionStats,
  synthesizeDetections,
  type TruthPart,
} from './detections.ts';
export {
  DEFAULT_DETECTOR_PRESET,
  DETECTOR_PRESETS,
  type DetectorConvention,
  type DetectorConventionSpec,
  type LabelRule,
  type RiderConvention,
  resolveDetectorConvention,
  TRUTH_PARTS,
} from './detector-convention.ts';
export {
  type Agent,
  indexTrajectories,
  parseAgents,
  readAgents,
  readGzLines,
  readTrajectories,
  type Trajectories,
  type TrajectoryOptions,
} from './readers.ts';
export * from './scenario.ts';
export {
  DEFAULT_SIGHTING_NOISE,
  MOTOR_MODES,
  macAt,
  type SightingNoise,
  type SightingSynthOptions,
  synthesizeSightings,
} from './sightings.ts';

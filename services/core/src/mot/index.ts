export {
  evalMot,
  evaluateMot,
  formatMotMetrics,
  formatMotMetricsTable,
  type MotEvalOptions,
  type MotMetrics,
} from './evaluate.ts';
export {
  filterMotByConfidence,
  formatMotLine,
  indexMotByFrame,
  MotFormatError,
  type MotFrameIndex,
  type MotRows,
  parseMot,
} from './parse.ts';
export {
  type ScoreMapping,
  scoreMappingFor,
  type TrackMotOptions,
  type TrackMotResult,
  trackMot,
  trackMotFile,
  trackMotRows,
} from './run.ts';

/** Ground truth of a scenario (never read by the pipeline): events, tables, files. */
export * from './events.ts';
export { parseCsv, readTruth, TRUTH_FILES, toCsv, writeScenarioTruth, writeTruth } from './files.ts';
export * from './tables.ts';

/** Evaluation of Passage's outputs against ground truth: metrics and the report. */
export * from './evaluate.ts';
export * from './metrics.ts';
export * from './od-detail.ts';

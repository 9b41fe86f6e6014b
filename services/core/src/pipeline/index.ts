export * from './camera-options.ts';
export * from './camera-pipeline.ts';
export * from './camera-set.ts';
export * from './discharge.ts';

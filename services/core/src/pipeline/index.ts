export * from './camera-pipeline.ts';
export * from './camera-set.ts';

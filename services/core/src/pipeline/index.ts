export * from './camera-pipeline.ts';

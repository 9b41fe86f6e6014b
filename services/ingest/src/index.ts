export * from './counts/index.ts';
export * from './detections/index.ts';

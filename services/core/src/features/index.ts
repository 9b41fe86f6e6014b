export * from './camera-size.ts';
export * from './class-labels.ts';
export * from './ground-size.ts';
export * from './track-features.ts';

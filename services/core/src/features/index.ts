export * from './ground-size.ts';
export * from './track-features.ts';

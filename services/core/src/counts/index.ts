export * from './health.ts';
export * from './normalise.ts';

export * from './estimate.ts';
export * from './expand.ts';
export * from './matcher.ts';
export * from './population.ts';
export * from './probe-rate.ts';
export * from './reference.ts';
export * from './routes.ts';
export * from './zones.ts';

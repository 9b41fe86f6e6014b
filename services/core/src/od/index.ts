export * from './expand.ts';
export * from './matcher.ts';
export * from './reference.ts';
export * from './probe-rate.ts';

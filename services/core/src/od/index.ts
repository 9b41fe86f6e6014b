export * from './expand.ts';
export * from './matcher.ts';

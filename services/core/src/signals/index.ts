export * from './plan.ts';
export * from './timing.ts';

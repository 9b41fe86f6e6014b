export * from './common.ts';
export * from './counts.ts';
export * from './footfall.ts';
export * from './live.ts';
export * from './movements.ts';
export * from './od.ts';
export * from './signals.ts';
export * from './sites.ts';

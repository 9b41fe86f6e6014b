export * from './app.ts';
export * from './auth.ts';
export * from './errors.ts';
export * from './live.ts';
export * from './metrics.ts';
export * from './start.ts';

export * from './registry.ts';
export * from './roles/event-totals.ts';
export * from './runtime.ts';

export * from './registry.ts';
export * from './roles/counts.ts';
export * from './roles/event-totals.ts';
export * from './roles/od-matcher.ts';
export * from './roles/tokenizer.ts';
export * from './roles/video-flows.ts';
export * from './runtime.ts';
export * from './sites.ts';

export * from './plan-world.ts';
export * from './registry-import.ts';
export * from './screen.ts';
export * from './sumo-tls.ts';
export * from './verify.ts';

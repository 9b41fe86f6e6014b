export * from './load.ts';
export type * from './model.ts';
export * from './schema.ts';
export * from './validate.ts';

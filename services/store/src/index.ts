export * from './client.ts';
export * from './export/index.ts';
export * from './metadata.ts';
export * from './migrate.ts';
export * from './queries/index.ts';
export * from './table.ts';

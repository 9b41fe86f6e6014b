export * from './kanon.ts';
export * from './key-handover.ts';
export * from './tokenizer.ts';

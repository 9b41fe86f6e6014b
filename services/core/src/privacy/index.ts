export * from './kanon.ts';
export * from './tokenizer.ts';

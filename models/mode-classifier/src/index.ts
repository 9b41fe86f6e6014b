/**
 * `@passage/mode-classifier`: road-user mode classification of finished tracks with an ONNX MLP.
 * Inference, the exporter, metrics and the data format are exported here; training (TF.js) lives in
 * `train.ts` / `mlp.ts` and is not imported by the runtime.
 */
export * from './baseline.ts';
export {
  classCounts,
  type Dataset,
  generateParametric,
  parseFeaturesCsv,
  readFeaturesCsv,
  toFeaturesCsv,
  URBAN_MIX,
} from './data.ts';
export * from './gate.ts';
export * from './infer.ts';
export * from './metrics.ts';
export * from './onnx-export.ts';
export * from './weights.ts';

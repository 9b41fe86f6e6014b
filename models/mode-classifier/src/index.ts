/**
 * `@passage/mode-classifier`: the runtime of road-user mode classification of finished tracks — ONNX inference
 * (onnxruntime-node), the gate against the detector vote, the detector-vote baseline and the metrics. Its only
 * dependencies are onnxruntime-node, `@passage/core` and `@passage/config`. Training, the ONNX exporter, feature
 * sets and scenario evaluation (TF.js, the simulator) are the dev-only workspace `@passage/mode-classifier-training`
 * (`models/mode-classifier/training`).
 */
export * from './baseline.ts';
export * from './gate.ts';
export * from './infer.ts';
export * from './metrics.ts';

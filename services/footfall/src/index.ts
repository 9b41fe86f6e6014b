/**
 * `@passage/footfall`: multi-day footfall on a local calendar grid, calendars (public holidays from
 * `date-holidays`, operator events), day-ahead forecasts (TF.js training in train.ts → ONNX → onnxruntime-node),
 * backtests against simple references, before/after with a counterfactual, period comparisons and fault flags.
 * Training (TF.js) is not imported from here: import `@passage/footfall/train`.
 */
export * from './backtest.ts';
export * from './before-after.ts';
export * from './calendar.ts';
export * from './compare.ts';
export * from './faults.ts';
export * from './features.ts';
export * from './grid.ts';
export * from './model.ts';
export * from './onnx.ts';
export * from './reference.ts';

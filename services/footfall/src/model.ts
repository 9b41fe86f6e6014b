/**
 * The day-ahead footfall model, framework-neutral: a small MLP over the features of features.ts with three
 * outputs, the 10 %, 50 % and 90 % quantiles of y / level, plus the interval calibration measured on held-out
 * weeks. Written by TF.js training (train.ts), exported to ONNX (onnx.ts), run by onnxruntime-node.
 */
export interface Dense {
  inSize: number;
  outSize: number;
  relu: boolean;
  kernel: Float32Array;
  bias: Float32Array;
}

export interface ForecastModel {
  format: 'passage-footfall-v1';
  featureNames: string[];
  quantiles: [number, number, number];
  mean: Float32Array;
  std: Float32Array;
  layers: Dense[];
  /** Further networks on the same normalised features; the outputs of all are averaged. */
  ensemble?: Dense[][];
  /**
   * Interval calibration (conformal, on held-out weeks): lo = q50 − kLo·(q50 − q10), hi = q50 + kHi·(q90 − q50),
   * so that 10 % of held-out actuals fall below lo and 10 % above hi.
   */
  kLo: number;
  kHi: number;
  /** What it was trained on, for the model card. */
  trainedOn: { from: string; until: string; rows: number; sensors: number };
}

export function modelToJson(m: ForecastModel): string {
  const arr = (a: Float32Array) => Array.from(a, (v) => Number(v.toPrecision(9)));
  return JSON.stringify({
    ...m,
    mean: arr(m.mean),
    std: arr(m.std),
    layers: m.layers.map((l) => ({ ...l, kernel: arr(l.kernel), bias: arr(l.bias) })),
    ensemble: m.ensemble?.map((ls) => ls.map((l) => ({ ...l, kernel: arr(l.kernel), bias: arr(l.bias) }))),
  });
}

export function modelFromJson(text: string): ForecastModel {
  const o = JSON.parse(text) as Omit<ForecastModel, 'mean' | 'std' | 'layers' | 'ensemble'> & {
    mean: number[];
    std: number[];
    layers: (Omit<Dense, 'kernel' | 'bias'> & { kernel: number[]; bias: number[] })[];
    ensemble?: (Omit<Dense, 'kernel' | 'bias'> & { kernel: number[]; bias: number[] })[][];
  };
  const dense = (l: Omit<Dense, 'kernel' | 'bias'> & { kernel: number[]; bias: number[] }): Dense => ({
    ...l,
    kernel: Float32Array.from(l.kernel),
    bias: Float32Array.from(l.bias),
  });
  if (o.format !== 'passage-footfall-v1') throw new Error('not a passage-footfall-v1 model');
  return {
    ...o,
    mean: Float32Array.from(o.mean),
    std: Float32Array.from(o.std),
    layers: o.layers.map(dense),
    ensemble: o.ensemble?.map((ls) => ls.map(dense)),
  };
}

/** Quantile outputs (n × 3, ratio to level) → calibrated forecast and 80 % interval in counts. */
export function toCounts(
  m: Pick<ForecastModel, 'kLo' | 'kHi'>,
  q: Float32Array,
  level: ArrayLike<number>,
  n: number,
): { forecast: Float64Array; lo80: Float64Array; hi80: Float64Array } {
  const forecast = new Float64Array(n);
  const lo80 = new Float64Array(n);
  const hi80 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = q[i * 3];
    const b = q[i * 3 + 1];
    const c = q[i * 3 + 2];
    // quantile heads are not constrained to be ordered: sort the three
    const lo = Math.min(a, b, c);
    const hi = Math.max(a, b, c);
    const mid = a + b + c - lo - hi;
    const L = level[i];
    forecast[i] = Math.max(0, mid * L);
    lo80[i] = Math.max(0, (mid - m.kLo * (mid - lo)) * L);
    hi80[i] = Math.max(0, (mid + m.kHi * (hi - mid)) * L);
  }
  return { forecast, lo80, hi80 };
}

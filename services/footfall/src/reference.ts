/** Plain TypeScript forward pass of the model (the reference the ONNX parity test compares with). */
import type { ForecastModel } from './model.ts';

/** Raw quantile outputs (n × 3) for raw feature rows. */
export function predictReference(m: ForecastModel, x: Float32Array, n: number): Float32Array {
  const F = m.mean.length;
  const out = new Float32Array(n * 3);
  let a = new Float32Array(F);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < F; k++) a[k] = (x[i * F + k] - m.mean[k]) / m.std[k];
    let cur = a;
    for (const l of m.layers) {
      const next = new Float32Array(l.outSize);
      for (let j = 0; j < l.outSize; j++) {
        let s = l.bias[j];
        for (let k = 0; k < l.inSize; k++) s += cur[k] * l.kernel[k * l.outSize + j];
        next[j] = l.relu ? Math.max(0, s) : s;
      }
      cur = next;
    }
    out.set(cur, i * 3);
    a = new Float32Array(F);
  }
  return out;
}

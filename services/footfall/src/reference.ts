/** Plain TypeScript forward pass of the model (the reference the ONNX parity test compares with). */
import type { Dense, ForecastModel } from './model.ts';

function forward(layers: Dense[], a: Float32Array): Float32Array {
  let cur = a;
  for (const l of layers) {
    const next = new Float32Array(l.outSize);
    for (let j = 0; j < l.outSize; j++) {
      let s = l.bias[j];
      for (let k = 0; k < l.inSize; k++) s += cur[k] * l.kernel[k * l.outSize + j];
      next[j] = l.relu ? Math.max(0, s) : s;
    }
    cur = next;
  }
  return cur;
}

/** Raw quantile outputs (n × 3) for raw feature rows (onnx.ts describes how networks combine). */
export function predictReference(m: ForecastModel, x: Float32Array, n: number): Float32Array {
  const F = m.mean.length;
  const nets = [m.layers, ...(m.ensemble ?? [])];
  const out = new Float32Array(n * 3);
  const a = new Float32Array(F);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < F; k++) a[k] = (x[i * F + k] - m.mean[k]) / m.std[k];
    const first = forward(nets[0], a);
    let mid = 0;
    for (const net of nets) mid += (net === nets[0] ? first : forward(net, a))[1] / nets.length;
    // median = mean of the networks; 10/90 % = the first network's, shifted by the same amount
    for (let j = 0; j < 3; j++) out[i * 3 + j] = first[j] + (mid - first[1]);
  }
  return out;
}

import { FEATURE_NAMES } from '@passage/core';
import { MODES } from '@passage/stream/contracts';
import { generateParametric, splitDataset } from './data.ts';
import { initBackend, trainMlp } from './mlp.ts';
const d = generateParametric({ n: 20000, seed: 5 });
const [tr, va] = splitDataset(d, 0.9, 1);
for (const b of ['wasm', 'cpu'] as const) {
  await initBackend(b);
  const t0 = performance.now();
  await trainMlp(tr, va, FEATURE_NAMES, MODES, { epochs: 3 });
  console.log(b, ((performance.now() - t0) / 3 / 1000).toFixed(2), 's/epoch (18k rows)');
}

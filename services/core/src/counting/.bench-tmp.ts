import { CameraCounter, fitHomography } from '@passage/core';
const lines = [0, 1, 2, 3].map((k) => ({ id: `L${k}`, a: [-20 + k * 10, -5] as const, b: [-20 + k * 10, 5] as const }));
const box = (cx: number, cy: number) => [[cx - 5, cy - 5], [cx + 5, cy - 5], [cx + 5, cy + 5], [cx - 5, cy + 5]] as [number, number][];
const zones = [box(0, 20), box(20, 0), box(0, -20), box(-20, 0)].map((polygon, i) => ({ id: `Z${i}`, polygon }));
const c = new CameraCounter({ lines:[],zones });
const N = 100;
const ids = new Int32Array(N);
const xs = new Float64Array(N);
const ys = new Float64Array(N);
const frames = 20000;
let nextId = 1;
const life = new Int32Array(N);
for (let k = 0; k < N; k++) { ids[k] = nextId++; life[k] = (k * 37) % 300; }
const t0 = performance.now();
let finished = 0;
for (let f = 0; f < frames; f++) {
  for (let k = 0; k < N; k++) {
    life[k]++;
    if (life[k] > 300) { c.finish(ids[k]); finished++; ids[k] = nextId++; life[k] = 0; }
    const p = life[k] / 300;
    xs[k] = -30 + 60 * p + Math.sin(f + k) * 0.2;
    ys[k] = (k % 7) - 3 + Math.cos(f * 1.3 + k) * 0.2;
  }
  c.update(1.7e12 + f * 40, ids, xs, ys);
}
const dt = performance.now() - t0;
console.log(`counter: ${((frames * N) / dt * 1000 / 1e6).toFixed(2)} M track-updates/s (4 lines, 4 zones), finished ${finished}`);

/**
 * Tracker benchmark: Passage's ByteTrack-family tracker vs OpenDataCam's tracker
 * (`node-moving-things-tracker`, V-IOU style with kd-tree matching), on the same detections, scored
 * with the same evaluator (py-motmetrics-compatible `evalMot`), and timed in the same process.
 *
 * - Accuracy: TUD-Campus with the public detections (SORT's Faster R-CNN `det.txt`, 25 fps).
 *   OpenDataCam is fed exactly as its own `--mode motchallenge` does (centre boxes, confidence ×100)
 *   but with every frame, including frames without boxes. Its MOT mode writes every item it holds,
 *   "zombies" (unmatched, extrapolated items) included: scored as `odc`; `odcLive` drops zombies.
 * - Speed: detections per second of the tracking step only (inputs prepared beforehand, outputs read
 *   but not formatted), median of 7 timed runs after warm-up, the two trackers alternating. Each run tracks the sequence several
 *   times with a fresh tracker. A synthetic crowd (60 objects per frame, 600 frames, 5 % missed
 *   boxes, box jitter) shows how both scale with density.
 *
 * `node --import tsx bench/tracker.ts` prints a table and writes `.bench/tracker.json`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ByteTracker,
  evalMot,
  formatMotLine,
  formatMotMetricsTable,
  indexMotByFrame,
  type MotMetrics,
  type MotRows,
  parseMot,
  trackMotFile,
} from '@passage/core';
import { median } from './_util.ts';

interface OdcDetection {
  x: number;
  y: number;
  w: number;
  h: number;
  confidence: number;
  name: string;
}
interface OdcItem extends OdcDetection {
  id: number;
  isZombie: boolean;
}
interface OdcTracker {
  reset(): void;
  updateTrackedItemsWithNewFrame(detections: OdcDetection[], frameNb: number): void;
  getJSONOfTrackedItems(roundInt?: boolean): OdcItem[];
}

const require = createRequire(import.meta.url);
// The package's main entry is its CLI (it parses process.argv); the tracker module is the library.
const odc = require('node-moving-things-tracker/tracker.js') as OdcTracker;

const FIXTURES = fileURLToPath(new URL('../services/core/src/mot/fixtures/TUD-Campus/', import.meta.url));
const FPS = 25;

/** Per-frame inputs for both trackers, frames first..last (empty frames included). */
interface Sequence {
  frames: number[];
  /** Passage: packed xywh and scores per frame. */
  cols: Array<{ count: number; xywh: Float64Array; score: Float64Array }>;
  /** OpenDataCam: centre-based objects, confidence in percent. */
  odc: OdcDetection[][];
  detections: number;
}

function sequenceFromRows(det: MotRows): Sequence {
  const idx = indexMotByFrame(det);
  const seq: Sequence = { frames: [], cols: [], odc: [], detections: det.n };
  const first = Math.min(1, idx.frames[0]);
  const last = idx.frames[idx.frames.length - 1];
  let k = 0;
  for (let f = first; f <= last; f++) {
    const rows: number[] = [];
    if (k < idx.frames.length && idx.frames[k] === f) {
      for (let j = idx.start[k]; j < idx.start[k + 1]; j++) rows.push(idx.order[j]);
      k++;
    }
    const xywh = new Float64Array(rows.length * 4);
    const score = new Float64Array(rows.length);
    rows.forEach((r, j) => {
      xywh.set([det.x[r], det.y[r], det.w[r], det.h[r]], 4 * j);
      score[j] = det.conf[r];
    });
    seq.frames.push(f);
    seq.cols.push({ count: rows.length, xywh, score });
    seq.odc.push(
      rows
        .map((r) => ({
          x: det.x[r] + det.w[r] / 2,
          y: det.y[r] + det.h[r] / 2,
          w: det.w[r],
          h: det.h[r],
          confidence: det.conf[r] * 100,
          name: '',
        }))
        .filter((d) => d.confidence > 0),
    );
  }
  return seq;
}

/** Runs OpenDataCam's tracker over a sequence; returns MOT text (all items and live items). */
function runOdc(seq: Sequence): { all: string; live: string } {
  odc.reset();
  const all: string[] = [];
  const live: string[] = [];
  seq.frames.forEach((f, i) => {
    odc.updateTrackedItemsWithNewFrame(
      seq.odc[i].map((d) => ({ ...d })),
      f,
    );
    for (const it of odc.getJSONOfTrackedItems(false)) {
      const line = formatMotLine(f, it.id + 1, it.x - it.w / 2, it.y - it.h / 2, it.w, it.h, it.confidence / 100);
      all.push(line);
      if (!it.isZombie) live.push(line);
    }
  });
  return { all: `${all.join('\n')}\n`, live: `${live.join('\n')}\n` };
}

/**
 * Detections per second of two contenders: `runs` timed runs of `reps` passes each, alternating
 * A and B so that load from other processes hits both alike; medians.
 */
function throughputPair(
  detections: number,
  reps: number,
  runs: number,
  a: () => void,
  b: () => void,
): [number, number] {
  for (let i = 0; i < 3; i++) {
    a();
    b();
  }
  const ra: number[] = [];
  const rb: number[] = [];
  const time = (pass: () => void): number => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) pass();
    return (detections * reps) / ((performance.now() - t0) / 1000);
  };
  for (let r = 0; r < runs; r++) {
    ra.push(time(a));
    rb.push(time(b));
  }
  return [median(ra), median(rb)];
}

function passOurs(seq: Sequence): () => void {
  return () => {
    const t = new ByteTracker({ fps: FPS });
    let sink = 0;
    seq.cols.forEach((c, i) => {
      const out = t.updateColumns(seq.frames[i] * 40, c);
      for (let k = 0; k < out.count; k++) sink += out.ids[k];
    });
    if (sink < 0) throw new Error('unreachable');
  };
}

function passOdc(seq: Sequence): () => void {
  return () => {
    odc.reset();
    let sink = 0;
    seq.frames.forEach((f, i) => {
      odc.updateTrackedItemsWithNewFrame(
        seq.odc[i].map((d) => ({ ...d })),
        f,
      );
      for (const it of odc.getJSONOfTrackedItems(false)) sink += it.id;
    });
    if (sink < 0) throw new Error('unreachable');
  };
}

/** Deterministic synthetic crowd: `n` objects crossing a 1920×1080 view with jitter and misses. */
function crowd(n: number, frames: number): MotRows {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
  const objs = Array.from({ length: n }, () => ({
    x: rand() * 1800,
    y: 100 + rand() * 850,
    vx: (rand() - 0.5) * 8,
    vy: (rand() - 0.5) * 3,
    w: 30 + rand() * 40,
    h: 80 + rand() * 60,
  }));
  const lines: string[] = [];
  for (let f = 1; f <= frames; f++) {
    for (const o of objs) {
      o.x += o.vx;
      o.y += o.vy;
      if (o.x < 0 || o.x > 1880) o.vx = -o.vx;
      if (o.y < 50 || o.y > 1000) o.vy = -o.vy;
      if (rand() < 0.05) continue;
      const j = () => (rand() - 0.5) * 4;
      const score = rand() < 0.15 ? 0.3 + rand() * 0.3 : 0.7 + rand() * 0.3;
      lines.push(formatMotLine(f, -1, o.x + j(), o.y + j(), o.w + j(), o.h + j(), score));
    }
  }
  return parseMot(lines.join('\n'));
}

const pick = (m: MotMetrics): Record<string, number> => ({
  mota: m.mota,
  idf1: m.idf1,
  idp: m.idp,
  idr: m.idr,
  recall: m.recall,
  precision: m.precision,
  motp: m.motp,
  fp: m.numFalsePositives,
  fn: m.numMisses,
  idsw: m.numSwitches,
  frag: m.numFragmentations,
  mt: m.mostlyTracked,
  pt: m.partiallyTracked,
  ml: m.mostlyLost,
});

export async function run(): Promise<Record<string, number>> {
  const detText = readFileSync(`${FIXTURES}det.txt`, 'utf8');
  const gtText = readFileSync(`${FIXTURES}gt.txt`, 'utf8');
  const seq = sequenceFromRows(parseMot(detText));

  const ours = evalMot(gtText, trackMotFile(detText, { fps: FPS }).text);
  const theirs = runOdc(seq);
  const odcAll = evalMot(gtText, theirs.all);
  const odcLive = evalMot(gtText, theirs.live);
  lastTable = formatMotMetricsTable({ passage: ours, odc: odcAll, odcLive });

  const [oursRate, odcRate] = throughputPair(seq.detections, 50, 7, passOurs(seq), passOdc(seq));

  const crowdSeq = sequenceFromRows(crowd(60, 600));
  const [crowdOurs, crowdOdc] = throughputPair(crowdSeq.detections, 1, 7, passOurs(crowdSeq), passOdc(crowdSeq));

  const result: Record<string, number> = {};
  for (const [k, v] of Object.entries(pick(ours))) result[`passage.${k}`] = v;
  for (const [k, v] of Object.entries(pick(odcAll))) result[`odc.${k}`] = v;
  for (const [k, v] of Object.entries(pick(odcLive))) result[`odcLive.${k}`] = v;
  result['passage.detPerSec'] = oursRate;
  result['odc.detPerSec'] = odcRate;
  result.speedup = oursRate / odcRate;
  result['crowd.detections'] = crowdSeq.detections;
  result['crowd.passage.detPerSec'] = crowdOurs;
  result['crowd.odc.detPerSec'] = crowdOdc;
  result['crowd.speedup'] = crowdOurs / crowdOdc;
  return result;
}

let lastTable = '';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await run();
  const fmt = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3));
  console.log('TUD-Campus, public detections (SORT det.txt), 25 fps — scored with evalMot (py-motmetrics compatible)');
  console.log(lastTable);
  console.log();
  console.log('Throughput (detections/s, median of 7 runs, tracking step only)');
  console.log(
    `  TUD-Campus  passage ${fmt(r['passage.detPerSec'])}   odc ${fmt(r['odc.detPerSec'])}   ×${r.speedup.toFixed(1)}`,
  );
  console.log(
    `  crowd 60/frame (${r['crowd.detections']} boxes)  passage ${fmt(r['crowd.passage.detPerSec'])}   odc ${fmt(r['crowd.odc.detPerSec'])}   ×${r['crowd.speedup'].toFixed(1)}`,
  );
  mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.bench/tracker.json', import.meta.url), `${JSON.stringify(r, null, 2)}\n`);
}

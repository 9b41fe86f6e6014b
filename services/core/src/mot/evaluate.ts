/**
 * CLEAR-MOT and identity metrics computed like py-motmetrics (`motmetrics.mot.MOTAccumulator`,
 * `motmetrics.metrics`, `utils.compare_to_groundtruth` with IoU distance), so that numbers are
 * comparable with the MOTChallenge tooling:
 *
 * - distance = 1 − IoU of (left, top, width, height) boxes; pairs with distance > threshold
 *   (default 0.5) are "do not pair";
 * - frames are the union of ground-truth and hypothesis frames;
 * - per frame: (1) keep the last matched hypothesis of each object when still pairable, (2) solve
 *   a min-cost assignment on the rest; a match whose object was last matched to another hypothesis
 *   is a SWITCH; (3) unmatched objects are misses, (4) unmatched hypotheses false positives;
 * - MOTP is the mean distance (1 − IoU) over matches (py-motmetrics convention, lower is better);
 * - IDF1 / IDP / IDR from the global min-cost bipartite matching of whole trajectories
 *   (`id_global_assignment`), counting every frame where an (object, hypothesis) pair is pairable
 *   (solved as the equivalent maximum-overlap matching on the objects × hypotheses matrix);
 * - MT / PT / ML: tracked ratio ≥ 0.8 / in [0.2, 0.8) / < 0.2;
 * - fragmentations: tracked → missed transitions between an object's first and last tracked frame.
 */
import { AssignmentSolver } from '../assign/lsap.ts';
import { filterMotByConfidence, indexMotByFrame, type MotRows, parseMot } from './parse.ts';

export interface MotEvalOptions {
  /**
   * Maximum IoU distance (1 − IoU) for an object/hypothesis pair to be matchable.
   * @default 0.5
   */
  distanceThreshold?: number;
  /**
   * Ground-truth rows whose 7th column is below this value are dropped before matching
   * (MOTChallenge marks boxes to ignore with 0; py-motmetrics' `eval_motchallenge` uses 1).
   * @default 1
   */
  gtMinConfidence?: number;
  /**
   * Hypothesis rows whose 7th column is below this value are dropped (py-motmetrics' loader
   * default, -1, keeps everything a tracker writes).
   * @default -1
   */
  hypMinConfidence?: number;
}

/** Metric values as named by py-motmetrics (`motchallenge_metrics` plus the counts they derive from). */
export interface MotMetrics {
  idf1: number;
  idp: number;
  idr: number;
  recall: number;
  precision: number;
  /** Number of distinct ground-truth objects ("GT"). */
  numUniqueObjects: number;
  mostlyTracked: number;
  partiallyTracked: number;
  mostlyLost: number;
  numFalsePositives: number;
  numMisses: number;
  numSwitches: number;
  numFragmentations: number;
  mota: number;
  /** Mean 1 − IoU over matched pairs (py-motmetrics convention: lower is better). */
  motp: number;
  numTransfer: number;
  numAscend: number;
  numMigrate: number;
  numFrames: number;
  /** Ground-truth boxes over all frames. */
  numObjects: number;
  /** Hypothesis boxes over all frames. */
  numPredictions: number;
  numMatches: number;
  /** Matches + switches. */
  numDetections: number;
  idtp: number;
  idfp: number;
  idfn: number;
}

function iouDistance(
  ax: number,
  ay: number,
  aw: number,
  ah: number,
  bx: number,
  by: number,
  bw: number,
  bh: number,
): number {
  const iw = Math.max(Math.min(ax + aw, bx + bw) - Math.max(ax, bx), 0);
  const ih = Math.max(Math.min(ay + ah, by + bh) - Math.max(ay, by), 0);
  const inter = iw * ih;
  if (inter === 0) return 1;
  const union = Math.max(aw, 0) * Math.max(ah, 0) + Math.max(bw, 0) * Math.max(bh, 0) - inter;
  return 1 - inter / union;
}

function denseIds(ids: Float64Array): { index: Int32Array; count: number } {
  const map = new Map<number, number>();
  const index = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    let k = map.get(ids[i]);
    if (k === undefined) {
      k = map.size;
      map.set(ids[i], k);
    }
    index[i] = k;
  }
  return { index, count: map.size };
}

/** Evaluates parsed hypothesis rows against parsed ground-truth rows. */
export function evaluateMot(gtRows: MotRows, hypRows: MotRows, options: MotEvalOptions = {}): MotMetrics {
  const threshold = options.distanceThreshold ?? 0.5;
  const gt = filterMotByConfidence(gtRows, options.gtMinConfidence ?? 1);
  const hyp = filterMotByConfidence(hypRows, options.hypMinConfidence ?? -1);
  const gi = indexMotByFrame(gt);
  const hi = indexMotByFrame(hyp);
  const { index: oidx, count: no } = denseIds(gt.id);
  const { index: hidx, count: nh } = denseIds(hyp.id);

  // Accumulator state (MOTAccumulator): m = last matched hypothesis of each object,
  // resM = last object of each hypothesis (assignment step only), ever-matched flags.
  const m = new Int32Array(no).fill(-1);
  const resM = new Int32Array(nh).fill(-1);
  const everMatchedObj = new Uint8Array(no);
  const everMatchedHyp = new Uint8Array(nh);
  // Per-object tallies.
  const objFreq = new Int32Array(no);
  const objTracked = new Int32Array(no);
  const objHasTracked = new Uint8Array(no);
  const objMissOpen = new Uint8Array(no);
  const hypFreq = new Int32Array(nh);
  // Pairable (o, h) frame counts for the identity measures.
  const pairable = new Float64Array(no * nh);

  let numMatches = 0;
  let numSwitches = 0;
  let numMisses = 0;
  let numFp = 0;
  let numTransfer = 0;
  let numAscend = 0;
  let numMigrate = 0;
  let distSum = 0;
  let numFrames = 0;
  let numFragmentations = 0;

  const solver = new AssignmentSolver();
  let dist = new Float64Array(64);
  const frameO: number[] = [];
  const frameH: number[] = [];
  const oRow: number[] = [];
  const hRow: number[] = [];
  let oMasked = new Uint8Array(16);
  let hMasked = new Uint8Array(16);

  let a = 0;
  let b = 0;
  while (a < gi.frames.length || b < hi.frames.length) {
    const fa = a < gi.frames.length ? gi.frames[a] : Number.POSITIVE_INFINITY;
    const fb = b < hi.frames.length ? hi.frames[b] : Number.POSITIVE_INFINITY;
    const frame = Math.min(fa, fb);
    frameO.length = 0;
    oRow.length = 0;
    frameH.length = 0;
    hRow.length = 0;
    if (fa === frame) {
      for (let k = gi.start[a]; k < gi.start[a + 1]; k++) {
        oRow.push(gi.order[k]);
        frameO.push(oidx[gi.order[k]]);
      }
      a++;
    }
    if (fb === frame) {
      for (let k = hi.start[b]; k < hi.start[b + 1]; k++) {
        hRow.push(hi.order[k]);
        frameH.push(hidx[hi.order[k]]);
      }
      b++;
    }
    numFrames++;
    const nO = frameO.length;
    const nH = frameH.length;
    if (dist.length < nO * nH) dist = new Float64Array(nO * nH * 2);
    if (oMasked.length < nO) oMasked = new Uint8Array(nO * 2);
    if (hMasked.length < nH) hMasked = new Uint8Array(nH * 2);
    oMasked.fill(0, 0, nO);
    hMasked.fill(0, 0, nH);

    // 0. Raw pairable events.
    for (let i = 0; i < nO; i++) {
      const r = oRow[i];
      objFreq[frameO[i]]++;
      for (let j = 0; j < nH; j++) {
        const s = hRow[j];
        const d = iouDistance(gt.x[r], gt.y[r], gt.w[r], gt.h[r], hyp.x[s], hyp.y[s], hyp.w[s], hyp.h[s]);
        if (d > threshold) dist[i * nH + j] = Number.NaN;
        else {
          dist[i * nH + j] = d;
          pairable[frameO[i] * nh + frameH[j]]++;
        }
      }
    }
    for (let j = 0; j < nH; j++) hypFreq[frameH[j]]++;

    if (nO > 0 && nH > 0) {
      // 1. Carry forward established correspondences.
      for (let i = 0; i < nO; i++) {
        const o = frameO[i];
        const hPrev = m[o];
        if (hPrev < 0) continue;
        let j = -1;
        for (let k = 0; k < nH; k++) {
          if (!hMasked[k] && frameH[k] === hPrev) {
            j = k;
            break;
          }
        }
        if (j < 0) continue;
        const d = dist[i * nH + j];
        if (Number.isNaN(d)) continue;
        oMasked[i] = 1;
        hMasked[j] = 1;
        numMatches++;
        distSum += d;
        everMatchedObj[o] = 1;
        everMatchedHyp[hPrev] = 1;
      }
      // 2. Min-cost assignment of the rest.
      for (let i = 0; i < nO; i++) {
        for (let j = 0; j < nH; j++) if (oMasked[i] || hMasked[j]) dist[i * nH + j] = Number.NaN;
      }
      const asg = solver.solve(dist, nO, nH);
      for (let i = 0; i < nO; i++) {
        const j = asg.rowToCol[i];
        if (j < 0) continue;
        const d = dist[i * nH + j];
        const o = frameO[i];
        const h = frameH[j];
        const isSwitch = m[o] >= 0 && m[o] !== h;
        if (isSwitch) {
          numSwitches++;
          if (!everMatchedHyp[h]) numAscend++;
        } else numMatches++;
        if (resM[h] >= 0 && resM[h] !== o) {
          numTransfer++;
          if (!everMatchedObj[o]) numMigrate++;
        }
        distSum += d;
        everMatchedHyp[h] = 1;
        everMatchedObj[o] = 1;
        oMasked[i] = 1;
        hMasked[j] = 1;
        m[o] = h;
        resM[h] = o;
      }
    }
    // 3./4. Misses and false positives; per-object tracked/fragmentation state.
    for (let i = 0; i < nO; i++) {
      const o = frameO[i];
      if (oMasked[i]) {
        objTracked[o]++;
        if (objMissOpen[o]) {
          numFragmentations++;
          objMissOpen[o] = 0;
        }
        objHasTracked[o] = 1;
      } else {
        numMisses++;
        if (objHasTracked[o]) objMissOpen[o] = 1;
      }
    }
    for (let j = 0; j < nH; j++) if (!hMasked[j]) numFp++;
  }

  let mostlyTracked = 0;
  let partiallyTracked = 0;
  let mostlyLost = 0;
  for (let o = 0; o < no; o++) {
    const ratio = objFreq[o] > 0 ? objTracked[o] / objFreq[o] : 0;
    if (ratio >= 0.8) mostlyTracked++;
    else if (ratio >= 0.2) partiallyTracked++;
    else mostlyLost++;
  }

  const numObjects = gt.n;
  const numPredictions = hyp.n;
  const numDetections = numMatches + numSwitches;

  // Identity measures (id_global_assignment). py-motmetrics solves an (no+nh)² problem with
  // cost(o, h) = fp + fn = hc + oc − 2·ex for real pairs and oc / hc for an object / hypothesis left
  // alone. Its total is Σoc + Σhc − 2·Σ_matched ex, so the optimum is the bipartite matching of
  // maximum Σ ex (frames where o and h are pairable): solved here on the no × nh matrix directly.
  // IDTP = Σ_matched ex is the same for every optimum, hence IDFN, IDFP, IDF1 are too.
  const negEx = new Float64Array(no * nh);
  for (let k = 0; k < negEx.length; k++) negEx[k] = -pairable[k];
  const idAsg = solver.solveThresholded(negEx, no, nh, 0);
  const idtp = -idAsg.cost;
  const idfn = numObjects - idtp;
  const idfp = numPredictions - idtp;

  return {
    idf1: (2 * idtp) / (numObjects + numPredictions),
    idp: idtp / (idtp + idfp),
    idr: idtp / (idtp + idfn),
    recall: numDetections / numObjects,
    precision: numDetections / (numFp + numDetections),
    numUniqueObjects: no,
    mostlyTracked,
    partiallyTracked,
    mostlyLost,
    numFalsePositives: numFp,
    numMisses,
    numSwitches,
    numFragmentations,
    mota: 1 - (numMisses + numSwitches + numFp) / numObjects,
    motp: distSum / numDetections,
    numTransfer,
    numAscend,
    numMigrate,
    numFrames,
    numObjects,
    numPredictions,
    numMatches,
    numDetections,
    idtp,
    idfp,
    idfn,
  };
}

/** Parses both MOTChallenge texts and evaluates the hypothesis against the ground truth. */
export function evalMot(gtText: string, hypText: string, options: MotEvalOptions = {}): MotMetrics {
  return evaluateMot(parseMot(gtText), parseMot(hypText), options);
}

const COLUMNS: ReadonlyArray<readonly [keyof MotMetrics, string, 'pct' | 'int' | 'dec']> = [
  ['idf1', 'IDF1', 'pct'],
  ['idp', 'IDP', 'pct'],
  ['idr', 'IDR', 'pct'],
  ['recall', 'Rcll', 'pct'],
  ['precision', 'Prcn', 'pct'],
  ['numUniqueObjects', 'GT', 'int'],
  ['mostlyTracked', 'MT', 'int'],
  ['partiallyTracked', 'PT', 'int'],
  ['mostlyLost', 'ML', 'int'],
  ['numFalsePositives', 'FP', 'int'],
  ['numMisses', 'FN', 'int'],
  ['numSwitches', 'IDs', 'int'],
  ['numFragmentations', 'FM', 'int'],
  ['mota', 'MOTA', 'pct'],
  ['motp', 'MOTP', 'dec'],
  ['numTransfer', 'IDt', 'int'],
  ['numAscend', 'IDa', 'int'],
  ['numMigrate', 'IDm', 'int'],
];

/** Renders one result as a console table with MOTChallenge column names (IDF1 … IDm). */
export function formatMotMetrics(metrics: MotMetrics, name = ''): string {
  return formatMotMetricsTable({ [name]: metrics });
}

/**
 * Renders several results (one row each, keyed by row name) in py-motmetrics' `render_summary`
 * layout: percentages for ratios, MOTP as a distance with three decimals.
 */
export function formatMotMetricsTable(rows: Readonly<Record<string, MotMetrics>>): string {
  const render = (v: number, kind: 'pct' | 'int' | 'dec'): string =>
    kind === 'pct' ? `${(v * 100).toFixed(1)}%` : kind === 'int' ? String(v) : v.toFixed(3);
  const cells = Object.entries(rows).map(([name, m]) => [
    name,
    ...COLUMNS.map(([key, , kind]) => render(m[key], kind)),
  ]);
  const header = ['', ...COLUMNS.map(([, label]) => label)];
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((row) => row[k].length)));
  const line = (row: string[]): string =>
    row.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' ');
  return [line(header), ...cells.map(line)].join('\n');
}

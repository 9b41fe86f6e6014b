import { CameraCounter } from '@passage/core';
import { lineCrossings, loadScenario } from '@passage/sim';
import { cameraOptionsFromSpec, runScenarioTracks } from '../src/scenario-features.ts';

const toS = Number(process.argv[2] ?? 900);
const pipe = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
const ctx = await loadScenario('/work/main/infra/scenarios/chartres-centre');
// record raw positions per counter instance
const rec = new Map<object, Map<number, number[]>>();
const orig = CameraCounter.prototype.update;
CameraCounter.prototype.update = function (ts, ids, xs, ys, count = ids.length) {
  let m = rec.get(this);
  if (!m) rec.set(this, (m = new Map()));
  for (let i = 0; i < count; i++) {
    let a = m.get(ids[i]);
    if (!a) m.set(ids[i], (a = []));
    a.push(ts, xs[i], ys[i]);
  }
  return orig.call(this, ts, ids, xs, ys, count);
};
const tracks = runScenarioTracks(ctx, { toS, pipeline: pipe });
// counters in camera order: map counters to camera ids by order of creation
const counters = [...rec.keys()];
const camIds = ctx.scenario.cameras.map((c) => c.id);
const start = ctx.scenario.start;
const cats: Record<string, Record<string, number>> = {};
const add = (mode: string, c: string) => {
  cats[mode] ??= {};
  cats[mode][c] = (cats[mode][c] ?? 0) + 1;
};
// agent position at time t (s)
const { traj } = ctx;
function agentPos(a: number, t: number): [number, number] | null {
  const s0 = traj.agentStart[a];
  const s1 = traj.agentStart[a + 1];
  let lo = s0;
  let hi = s1 - 1;
  const T = (j: number) => traj.t[traj.byAgent[j]];
  if (t < T(lo) || t > T(hi)) return null;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    if (T(m) <= t) lo = m;
    else hi = m;
  }
  const r = traj.byAgent[lo];
  const q = traj.byAgent[hi];
  const f = traj.t[q] > traj.t[r] ? (t - traj.t[r]) / (traj.t[q] - traj.t[r]) : 0;
  return [traj.x[r] + f * (traj.x[q] - traj.x[r]), traj.y[r] + f * (traj.y[q] - traj.y[r])];
}
const examples: string[] = [];
ctx.cameras.forEach((cam, ci) => {
  const counter = counters[camIds.indexOf(cam.spec.id)];
  const pts = rec.get(counter) ?? new Map();
  const opts = cameraOptionsFromSpec(cam.spec);
  const ut = tracks.filter((t) => t.cameraId === cam.spec.id);
  cam.lines.forEach((line, li) => {
    const L = opts.lines[li];
    const lx = L.b[0] - L.a[0];
    const ly = L.b[1] - L.a[1];
    const len = Math.hypot(lx, ly);
    const dsCam = (x: number, y: number) => [((lx * (y - L.a[1]) - ly * (x - L.a[0])) / len), (lx * (x - L.a[0]) + ly * (y - L.a[1])) / len];
    const S = line.seg;
    const sl = Math.hypot(S.bx - S.ax, S.by - S.ay);
    const dsSim = (x: number, y: number) => [((S.bx - S.ax) * (y - S.ay) - (S.by - S.ay) * (x - S.ax)) / sl, ((S.bx - S.ax) * (x - S.ax) + (S.by - S.ay) * (y - S.ay)) / sl];
    const truth = lineCrossings(ctx, S).filter((e) => e.t < toS);
    const ours: { ts: number; dir: string; tid: number; rider: boolean; used: boolean }[] = [];
    for (const t of ut) for (const c of t.user.summary.crossings) if (c.lineId === line.id) ours.push({ ts: (c.ts - start) / 1000, dir: c.direction, tid: t.user.summary.trackId, rider: t.user.rider, used: false });
    // greedy one-to-one
    const pairs: [number, number, number][] = [];
    truth.forEach((e, i) => ours.forEach((o, j) => { if (!o.rider && o.dir === e.direction && Math.abs(o.ts - e.t) <= 2) pairs.push([Math.abs(o.ts - e.t), i, j]); }));
    pairs.sort((a, b) => a[0] - b[0]);
    const tTaken = new Array(truth.length).fill(false);
    for (const [, i, j] of pairs) if (!tTaken[i] && !ours[j].used) { tTaken[i] = true; ours[j].used = true; }
    truth.forEach((e, i) => {
      add(e.mode, 'truth');
      if (tTaken[i]) { add(e.mode, 'matched'); return; }
      // near tracks
      const near: { id: number; dmin: number; dmax: number; t0: number; t1: number; crossed: boolean }[] = [];
      for (const [id, a] of pts) {
        let dmin = Infinity, dmax = -Infinity, hits = 0, t0 = Infinity, t1 = -Infinity;
        for (let k = 0; k < a.length; k += 3) {
          const tt = (a[k] - start) / 1000;
          if (tt < e.t - 4 || tt > e.t + 4) continue;
          const p = agentPos(e.agent, tt);
          if (!p) continue;
          const [dA, sA] = dsSim(p[0], p[1]);
          const [dT, sT] = dsCam(a[k + 1], a[k + 2]);
          if (Math.hypot(dA - dT, sA - sT) > 3) continue;
          hits++;
          dmin = Math.min(dmin, dT); dmax = Math.max(dmax, dT); t0 = Math.min(t0, tt); t1 = Math.max(t1, tt);
        }
        if (hits >= 2) near.push({ id, dmin, dmax, t0, t1, crossed: ours.some((o) => o.tid === id) });
      }
      let c: string;
      if (near.length === 0) c = 'A-notracked';
      else if (near.some((n) => n.dmin < -0.5 && n.dmax > 0.5)) c = near.some((n) => n.crossed && n.dmin < -0.5 && n.dmax > 0.5) ? 'B1-spanned-crossed-taken' : 'B2-spanned-notcounted';
      else if (near.length >= 2) c = 'C-fragmented';
      else c = 'D-oneside';
      add(e.mode, c);
      if (examples.length < 400) examples.push(`${cam.spec.id} ${line.id} ${e.mode} t=${e.t.toFixed(1)} ${e.direction} ${c} ${near.map((n) => `#${n.id}[${n.t0.toFixed(1)}-${n.t1.toFixed(1)} d ${n.dmin.toFixed(1)}..${n.dmax.toFixed(1)}${n.crossed ? ' X' : ''}]`).join(' ')}`);
    });
  });
});
console.log(JSON.stringify(cats, null, 0));
import { writeFileSync } from 'node:fs';
writeFileSync('/tmp/ev/examples.txt', examples.join('\n'));
// detail dump: DUMP=cam,line,t
if (process.env.DUMP) {
  const [camId, lineId, tS] = process.env.DUMP.split(',');
  const cam = ctx.cameras.find((c) => c.spec.id === camId)!;
  const ci = camIds.indexOf(camId);
  const li = cam.lines.findIndex((l) => l.id === lineId);
  const opts = cameraOptionsFromSpec(cam.spec);
  const L = opts.lines[li];
  const S = cam.lines[li].seg;
  const lx = L.b[0] - L.a[0], ly = L.b[1] - L.a[1], len = Math.hypot(lx, ly);
  const sl = Math.hypot(S.bx - S.ax, S.by - S.ay);
  console.log('line len cam', len.toFixed(1), 'sim', sl.toFixed(1));
  const t = Number(tS);
  const e = lineCrossings(ctx, S).find((e) => Math.abs(e.t - t) < 0.2)!;
  for (let tt = t - 3; tt <= t + Number(process.env.W ?? 3); tt += 0.5) {
    const p = agentPos(e.agent, tt);
    if (p) console.log('agent', tt.toFixed(1), (((S.bx - S.ax) * (p[1] - S.ay) - (S.by - S.ay) * (p[0] - S.ax)) / sl).toFixed(2), (((S.bx - S.ax) * (p[0] - S.ax) + (S.by - S.ay) * (p[1] - S.ay)) / sl).toFixed(2));
  }
  const pts = rec.get(counters[ci])!;
  const W = Number(process.env.W ?? 4);
  const idList = process.env.IDS ? process.env.IDS.split(',').map(Number) : [...pts.keys()].filter((id) => { const a = pts.get(id)!; for (let k = 0; k < a.length; k += 3) { const tt = (a[k] - start) / 1000; if (tt < t - W || tt > t + W) continue; const x = a[k + 1], y = a[k + 2]; const d = (lx * (y - L.a[1]) - ly * (x - L.a[0])) / len; const s = (lx * (x - L.a[0]) + ly * (y - L.a[1])) / len; if (Math.abs(d) < 6 && s > -3 && s < len + 3) return true; } return false; });
  for (const id of idList) {
    const a = pts.get(id);
    if (!a) continue;
    const row: string[] = [];
    for (let k = 0; k < a.length; k += 3) {
      const tt = (a[k] - start) / 1000;
      if (tt < t - Number(process.env.W ?? 4) || tt > t + Number(process.env.W ?? 4)) continue;
      const x = a[k + 1], y = a[k + 2];
      row.push(`${tt.toFixed(1)}:${((lx * (y - L.a[1]) - ly * (x - L.a[0])) / len).toFixed(1)},${((lx * (x - L.a[0]) + ly * (y - L.a[1])) / len).toFixed(1)}`);
    }
    console.log('track', id, row.join(' '));
    const u = tracks.find((u) => u.cameraId === camId && u.user.summary.trackId === id);
    console.log(JSON.stringify(u?.user.summary.crossings), u?.user.voteMode, u?.user.rider);
  }
}
if (process.env.LINES) {
  const rows: string[] = [];
  for (const cam of ctx.cameras) {
    for (const line of cam.lines) {
      for (const dir of ['in', 'out']) {
        const tr = lineCrossings(ctx, line.seg).filter((e) => e.t < toS && e.direction === dir);
        const byMode: Record<string, number> = {};
        for (const e of tr) byMode[e.mode] = (byMode[e.mode] ?? 0) + 1;
        let ours = 0;
        const oursV: Record<string, number> = {};
        for (const t of tracks) if (t.cameraId === cam.spec.id && !t.user.rider) for (const c of t.user.summary.crossings) if (c.lineId === line.id && c.direction === dir) { ours++; oursV[t.user.voteMode ?? '?'] = (oursV[t.user.voteMode ?? '?'] ?? 0) + 1; }
        rows.push(`${line.id.padEnd(28)} ${dir.padEnd(4)} truth ${String(tr.length).padStart(5)} ours ${String(ours).padStart(5)} diff ${String(ours - tr.length).padStart(5)}  ${JSON.stringify(byMode)} ${JSON.stringify(oursV)}`);
      }
    }
  }
  console.log(rows.join('\n'));
}

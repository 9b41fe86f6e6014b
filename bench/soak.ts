/**
 * `npm run bench -- soak --minutes 30 [--rate 300]`: the Kafka pipeline (one process per role, bench/_pipeline.ts)
 * fed for `--minutes` at `--rate` records/s (chartres-centre's first 10 minutes of frames, counter records and raw
 * sightings, sent again and again, each pass later in event time). Every 10 s each role process samples its resident
 * memory and event-loop delay (p50/p99/max); the series go to .bench/soak.json and a chart to .bench/soak.svg.
 * Not for CI. Uses KAFKA_BROKERS when set, else starts a broker of its own.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrokerHandle, startBroker } from '@passage/kafka-local';
import { loadScenario, replayRecords } from '@passage/sim';
import { Pipeline, pipelineConfig, quiescent, type Sample, startIngest } from './_pipeline.ts';

const REPO = resolve(import.meta.dirname, '..');
const SCENARIO = join(REPO, 'infra/scenarios/chartres-centre');
const INPUT_S = 600;

function arg(name: string, dflt: number): number {
  const argv = process.env.PASSAGE_BENCH_ARGS ? JSON.parse(process.env.PASSAGE_BENCH_ARGS) : process.argv.slice(2);
  const i = (argv as string[]).indexOf(`--${name}`);
  return i >= 0 ? Number((argv as string[])[i + 1]) : dflt;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

/** Two panels (resident memory, event-loop delay p99) over minutes, one line per role: a plain SVG. */
export function soakChart(series: Map<string, Sample[]>, title: string): string {
  const W = 900;
  const H = 260;
  const M = { l: 60, r: 150, t: 30, b: 36 };
  const t0 = Math.min(...[...series.values()].flat().map((s) => s.t));
  const panel = (y0: number, label: string, pick: (s: Sample) => number) => {
    const all = [...series.values()].flat();
    const xMax = Math.max(1, ...all.map((s) => (s.t - t0) / 60_000));
    const yMax = Math.max(1, ...all.map(pick)) * 1.1;
    const x = (m: number) => M.l + (m / xMax) * (W - M.l - M.r);
    const y = (v: number) => y0 + H - M.b - (v / yMax) * (H - M.t - M.b);
    let g = `<text x="${M.l}" y="${y0 + 18}" font-size="13" font-weight="bold">${label}</text>`;
    g += `<line x1="${M.l}" y1="${y(0)}" x2="${W - M.r}" y2="${y(0)}" stroke="#999"/><line x1="${M.l}" y1="${y(0)}" x2="${M.l}" y2="${y(yMax)}" stroke="#999"/>`;
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      g += `<text x="${M.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`;
      const m = (xMax * k) / 4;
      g += `<text x="${x(m)}" y="${y(0) + 14}" font-size="10" text-anchor="middle">${m.toFixed(xMax < 10 ? 1 : 0)} min</text>`;
    }
    let i = 0;
    for (const [role, ss] of series) {
      const c = COLORS[i % COLORS.length];
      const pts = ss.map((s) => `${x((s.t - t0) / 60_000).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
      g += `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts}"/>`;
      g += `<text x="${W - M.r + 10}" y="${y0 + M.t + 14 * i}" font-size="11" fill="${c}">${role}</text>`;
      i++;
    }
    return g;
  };
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 30}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="${M.l}" y="18" font-size="14">${title}</text>` +
    `<g transform="translate(0,20)">${panel(0, 'resident memory (MiB)', (s) => s.rssMiB)}${panel(H, 'event-loop delay p99 (ms)', (s) => s.eldP99Ms)}</g></svg>`
  );
}

export async function run(): Promise<Record<string, number>> {
  const minutes = arg('minutes', 30);
  const rate = arg('rate', 300);
  let broker: BrokerHandle | undefined;
  const brokers =
    process.env.KAFKA_BROKERS ??
    (broker = await startBroker({ port: 0, quiet: true, startTimeoutMs: 240_000 })).brokers;
  const id = `soak-${Date.now().toString(36)}`;
  const { configFile, config, t } = pipelineConfig(id, brokers, join(SCENARIO, 'scenario.json'));
  await t.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions: 4 })));
  const ctx = await loadScenario(SCENARIO);
  const input = join(mkdtempSync(join(tmpdir(), 'passage-soak-input-')), 'input.jsonl');
  const lines: string[] = [];
  for (const r of replayRecords(ctx, { toS: INPUT_S, topics: ['detections', 'counts', 'sightingsRaw'] })) {
    lines.push(JSON.stringify({ topic: r.topic, key: r.key, value: r.value }));
  }
  writeFileSync(input, `${lines.join('\n')}\n`);
  const pipeline = new Pipeline(configFile, 10_000);
  await pipeline.startAll();
  const t0 = Date.now();
  const ingest = startIngest(configFile, input, join(pipeline.dataDir, 'ingest.progress'), rate, {
    durationMs: minutes * 60_000,
    spanMs: INPUT_S * 1000,
  });
  await ingest.ready;
  if ((await ingest.exited) !== 0) throw new Error(`ingest failed:\n${ingest.output()}`);
  const sentSeconds = (Date.now() - t0) / 1000;
  await quiescent(t, config);
  for (const name of ['video-flows', 'counts', 'tokenizer', 'od-matcher', 'sinks']) await pipeline.stop(name);
  await t.close();
  pipeline.dispose();
  await broker?.stop();

  const out: Record<string, number> = { minutes: sentSeconds / 60, rate };
  for (const [role, ss] of pipeline.samples) {
    const warm = ss.filter((s) => s.t - t0 >= 120_000); // after 2 min of warm-up
    const use = warm.length >= 4 ? warm : ss;
    const first = use.slice(0, 3).reduce((a, s) => a + s.rssMiB, 0) / Math.min(3, use.length);
    const last = use.slice(-3).reduce((a, s) => a + s.rssMiB, 0) / Math.min(3, use.length);
    const p99s = use.map((s) => s.eldP99Ms).sort((a, b) => a - b);
    out[`${role}.rssStartMiB`] = first;
    out[`${role}.rssEndMiB`] = last;
    out[`${role}.rssMaxMiB`] = Math.max(...use.map((s) => s.rssMiB));
    out[`${role}.eldP99MedianMs`] = p99s[Math.floor(p99s.length / 2)];
    out[`${role}.eldMaxMs`] = Math.max(...use.map((s) => s.eldMaxMs));
  }
  if (pipeline.totals) for (const [k, v] of Object.entries(pipeline.totals)) out[`stored.${k}`] = v;
  mkdirSync(join(REPO, '.bench'), { recursive: true });
  const samples = Object.fromEntries(pipeline.samples);
  writeFileSync(
    join(REPO, '.bench/soak.json'),
    `${JSON.stringify({ date: new Date().toISOString(), minutes, rate, summary: out, samples }, null, 2)}\n`,
  );
  writeFileSync(
    join(REPO, '.bench/soak.svg'),
    soakChart(
      pipeline.samples,
      `Passage soak: ${(sentSeconds / 60).toFixed(1)} min at ${rate} records/s, ${new Date().toISOString().slice(0, 16)}`,
    ),
  );
  return out;
}

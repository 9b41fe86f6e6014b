/**
 * The ingest process of the fault and soak benches: sends the records of `--input` (JSON lines
 * `{topic, key, value}`) to Kafka in chunks of 200 at `--rate` records/s (0 = as fast as the broker takes them),
 * writing the index of the last acknowledged record to `--progress` after each chunk. A restarted process resumes
 * after that index, so a SIGKILL between a send and its acknowledgement re-sends that chunk (at-least-once, as an
 * edge device would).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@passage/config';
import { benchTransport } from './_pipeline.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    input: { type: 'string' },
    progress: { type: 'string' },
    rate: { type: 'string', default: '0' },
    /** Send the input again and again for this many ms (soak), each pass shifted in event time by `span-ms`. */
    'duration-ms': { type: 'string', default: '0' },
    'span-ms': { type: 'string', default: '0' },
  },
});
const config = loadConfig({ file: values.config });
const lines = readFileSync(String(values.input), 'utf8').split('\n').filter(Boolean);
const progressFile = String(values.progress);
let from = existsSync(progressFile) ? Number(readFileSync(progressFile, 'utf8')) : 0;
const t = benchTransport(config, 'bench-ingest');
await t.producer();
process.stdout.write('READY ingest\n');
const rate = Number(values.rate);
const t0 = Date.now();
let sentTotal = 0;
const CHUNK = 200;
const durationMs = Number(values['duration-ms']);
const spanMs = Number(values['span-ms']);
let pass = 0;
/** The record of a later pass: every event time moved by pass × span (frames and sightings `ts`, counts `start`/`end`). */
function shifted(v: Record<string, unknown>): Record<string, unknown> {
  if (pass === 0) return v;
  const d = pass * spanMs;
  const out = { ...v };
  for (const k of ['ts', 'start', 'end']) if (typeof out[k] === 'number') out[k] = (out[k] as number) + d;
  return out;
}
for (;;) {
  if (from >= lines.length) {
    if (durationMs <= 0 || Date.now() - t0 >= durationMs) break;
    pass++;
    from = 0;
  }
  if (durationMs > 0 && Date.now() - t0 >= durationMs) break;
  const chunk = lines.slice(from, from + CHUNK).map((l) => {
    const r = JSON.parse(l) as { topic: string; key: string; value: Record<string, unknown> };
    return { ...r, value: shifted(r.value) };
  });
  const byTopic = new Map<string, { key: string; value: string }[]>();
  for (const r of chunk) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ key: r.key, value: JSON.stringify(r.value) });
    byTopic.set(r.topic, list);
  }
  // Records name the stream (detections, counts, sightingsRaw); the configured topic of that stream receives them.
  for (const [stream, msgs] of byTopic) await t.send(String(config.topics[stream as keyof typeof config.topics]), msgs);
  from += chunk.length;
  writeFileSync(progressFile, String(from));
  sentTotal += chunk.length;
  if (rate > 0) {
    const due = t0 + (sentTotal / rate) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
}
await t.close();
process.stdout.write(`DONE ${sentTotal}\n`);
process.exit(0);

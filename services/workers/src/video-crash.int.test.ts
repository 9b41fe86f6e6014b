/**
 * Crash cost of video-flows (issue 12 item 5), through the real broker: the worker checkpoints each camera's open
 * minute aggregates to the compacted `<lineCounts>.state` topic in its transactions; it is SIGKILLed mid-stream
 * (mid-minute, after it committed the first 40 % of the frames), restarted, and the stored crossings and movements are
 * compared with a clean run on the same frames. The restarted worker re-reads each partition from the replay offset
 * committed with the state (the first frame of its cameras' oldest live tracks, capped) up to the committed offset to
 * rebuild the tracks alive at the kill, emitting nothing for those frames. The checkpoint topic is scanned: aggregates
 * and input offsets only, no track id, box or plate.
 */
import { resolve } from 'node:path';
import { type Config, loadConfig } from '@passage/config';
import type { ReplayRecord } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  isolatedConfig,
  REPO,
  readWholeTopic,
  spawnPassage,
  testTransportWithTopics,
  type WorkerProcess,
  waitFor,
} from '../../../test/helpers.ts';
import { videoRecordsWithPlates } from './fixtures/video-records.ts';
import { videoFlowsStateTopic } from './roles/video-flows.ts';
import { startKafkaWorker } from './runtime.ts';

const SCENARIO = resolve(REPO, 'infra/scenarios/chartres-centre');
const CAMERAS = ['cam-bd-nord', 'cam-marche', 'cam-parvis'];
const PLATE_RE = /[A-Z]{2}-\d{3}-[A-Z]{2}/;
/**
 * The only keys a state record may hold: aggregates and their coordinates, input offsets (replay), and the
 * classifier's per-camera reference car size (`sizes`: `w`/`h` lists of [bin, count] pairs).
 */
const STATE_KEYS = new Set(
  'v cameraId partition epoch replayFrom from to open lineCounts movements siteId lineId direction mode minute count speedSum speedCount fromZone toZone dwellSumS sizes w h'.split(
    ' ',
  ),
);
/** The offset fields of the state records: a decimal input offset or null, nothing else. */
const OFFSET_KEYS = ['replayFrom', 'from', 'to'];

const log = createLogger({ level: 'warn' });
let store: Store;
let records: ReplayRecord[];
const sinks: { stop(): Promise<void> }[] = [];
const children: WorkerProcess[] = [];

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  records = await videoRecordsWithPlates(SCENARIO, CAMERAS);
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const s of sinks) await s.stop();
  await store.close();
});

async function totals(config: Config): Promise<{ crossings: number; movements: number }> {
  const q = async (table: string, topic: string) => {
    const rs = await store.client.query({
      query: `SELECT sum(count) AS n FROM ${table} WHERE startsWith(_src, {src:String})`,
      query_params: { src: `kafka:${topic}/` },
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
  };
  return {
    crossings: await q('line_counts_1m', config.topics.lineCounts),
    movements: await q('movements_1m', config.topics.movements),
  };
}

/** One run: frames through a spawned video-flows worker (SIGKILLed after 40 % with `crash`), stored totals. */
async function run(tag: string, crash: boolean) {
  const iso = isolatedConfig(tag, { sitesFile: resolve(SCENARIO, 'scenario.json') });
  const env = { KAFKA_BROKERS: brokers(), PASSAGE_CONFIG: iso.file, PASSAGE_LOG_LEVEL: 'info' };
  const config = loadConfig({ env, file: iso.file });
  const transport = await testTransportWithTopics(config, 4, { groupPrefix: 'test' });
  sinks.push(
    await startKafkaWorker({ config, roles: ['sink-line-counts', 'sink-movements'], log, instanceId: 's', store }),
  );
  const spawnWorker = () => {
    const w = spawnPassage(['worker', '--role', 'video-flows', '--instance', 'v0'], env);
    children.push(w);
    return w;
  };
  const admin = transport.kafka.admin();
  await admin.connect();
  const consumed = async () => {
    const [t] = await admin.fetchOffsets({
      groupId: `${config.kafka.groupPrefix}.video-flows`,
      topics: [config.topics.detections],
    });
    return t.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };
  const send = async (from: number, to: number) => {
    for (let i = from; i < to; i += 500) {
      await transport.send(
        config.topics.detections,
        records.slice(i, Math.min(to, i + 500)).map((r) => ({ key: r.key, value: JSON.stringify(r.value) })),
      );
    }
  };
  let worker = spawnWorker();
  await worker.ready;
  // 40 % of 240 s: 96 s, the middle of each camera's second minute.
  const split = Math.floor(records.length * 0.4);
  await send(0, split);
  let restored = '';
  if (crash) {
    await waitFor('first 40 % committed', consumed, (n) => n === split, 120_000, 100);
    worker.child.kill('SIGKILL');
    await worker.exited;
    await send(split, records.length);
    worker = spawnWorker();
    await worker.ready;
    await waitFor(
      'state restored',
      async () => worker.output(),
      (o) => o.includes('state restored'),
      60_000,
      200,
    );
    restored = worker.output();
  } else await send(split, records.length);
  await waitFor('every frame consumed', consumed, (n) => n === records.length, 180_000, 200);
  if (crash) restored = worker.output(); // with the warm-up's log lines
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  // Settled: unchanged over 4 readings 1.5 s apart (the sinks store the final rows of the graceful stop a few
  // seconds after it; two readings once caught 77 of 133 crossings).
  let prev = { crossings: -1, movements: -1 };
  let same = 0;
  const got = await waitFor(
    'stored totals settle',
    async () => {
      const t = await totals(config);
      same = t.crossings > 0 && t.crossings === prev.crossings && t.movements === prev.movements ? same + 1 : 0;
      prev = t;
      return { t, stable: same >= 3 };
    },
    (v) => v.stable,
    60_000,
    1500,
  );
  // The checkpoint topic, every record (not only the latest per key).
  const topic = videoFlowsStateTopic(config);
  const state = await readWholeTopic(transport.kafka, admin, `${config.kafka.groupPrefix}.scan`, topic);
  await admin.disconnect();
  await transport.close();
  const perMinute = await (
    await store.client.query({
      query: `SELECT camera_id, minute, sum(count) AS n FROM line_counts_1m WHERE startsWith(_src, {src:String}) GROUP BY ALL ORDER BY ALL`,
      query_params: { src: `kafka:${config.topics.lineCounts}/` },
      format: 'JSONEachRow',
    })
  ).json<{ camera_id: string; minute: string; n: string }>();
  const cells = new Map(perMinute.map((r) => [`${r.camera_id}@${r.minute}`, Number(r.n)]));
  console.log(tag, [...cells].map(([k, n]) => `${k}:${n}`).join(' '));
  return { totals: got.t, state, restored, cells };
}

/** Every value of the offset fields of the state records, as written. */
function offsetValues(state: string[]): unknown[] {
  const values: unknown[] = [];
  for (const s of state) {
    const v = JSON.parse(s.slice(s.indexOf('=') + 1)) as Record<string, unknown>;
    for (const k of OFFSET_KEYS) if (k in v) values.push(v[k]);
  }
  return values;
}

function keysOf(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      keysOf(x, out);
    }
  }
  return out;
}

describe('crash cost of video-flows through the real broker', () => {
  let clean: { crossings: number; movements: number };
  let cleanCells: Map<string, number>;
  let loss = { crossings: Number.NaN, movements: Number.NaN };
  it('clean run: crossings stored; the checkpoint topic holds aggregates only', async () => {
    const r = await run('vclean', false);
    clean = r.totals;
    cleanCells = r.cells;
    console.log('clean run', clean, `${r.state.length} state records`);
    expect(clean.crossings).toBeGreaterThan(100);
    expect(r.state.length).toBeGreaterThan(3);
    const keys = keysOf(
      r.state.map((s) => JSON.parse(s.slice(s.indexOf('=') + 1))),
      new Set(),
    );
    expect([...keys].filter((k) => !STATE_KEYS.has(k))).toEqual([]);
    expect(r.state.join('\n')).not.toMatch(PLATE_RE);
    expect(r.state.join('\n')).not.toMatch(/trackId|"box"|bbox|"id"/);
    // Replay offsets are written (cameras had live tracks) and are bare offsets.
    const offsets = offsetValues(r.state);
    expect(offsets.filter((o) => typeof o === 'string').length).toBeGreaterThan(3);
    expect(offsets.filter((o) => o !== null && !(typeof o === 'string' && /^\d+$/.test(o)))).toEqual([]);
  }, 400_000);

  // Measured 2026-12-04 (first version): 116/132 crossings (12.1 % lost), 56/62 movements (9.7 %); with the restore
  // disabled 96/132 (27.3 %) and 47/62 (24.2 %). With the hand-over version: 120/133 in the per-minute cells: the
  // crossings of tracks alive at the kill were lost (cam-bd-nord, a queue at a signal, has long tracks). With the
  // warm-up re-read from the replay offsets (no track stored): 133/133 and 63/63.
  it('SIGKILL mid-minute, restart: the open minutes are restored (loss well under the 27 % without), none counted twice', async () => {
    const r = await run('vkill', true);
    const lossC = (clean.crossings - r.totals.crossings) / clean.crossings;
    const lossM = (clean.movements - r.totals.movements) / clean.movements;
    const m = /"openEpochs":(\d+)/.exec(r.restored);
    console.log(
      `SIGKILL video-flows: crossings ${r.totals.crossings}/${clean.crossings} (${(100 * lossC).toFixed(2)} % lost), movements ${r.totals.movements}/${clean.movements} (${(100 * lossM).toFixed(2)} % lost); restored open epochs ${m?.[1]}`,
    );
    loss = { crossings: lossC, movements: lossM };
    // The restart found open minutes to restore (otherwise this run would not exercise the checkpoint), and re-read
    // partitions from their replay offsets (tracks were alive at the kill).
    expect(Number(m?.[1])).toBeGreaterThan(0);
    const rereads = r.restored.match(/partition re-read from its replay offset/g)?.length ?? 0;
    console.log(`partitions re-read at the restart: ${rereads}`);
    expect(rereads).toBeGreaterThan(0);
    expect(lossC).toBeGreaterThanOrEqual(0);
    expect(lossC).toBeLessThanOrEqual(0.15);
    expect(lossM).toBeLessThanOrEqual(0.15);
    // Nothing counted twice: no camera-minute holds more crossings than in the clean run.
    const over = [...r.cells].filter(([k, n]) => n > (cleanCells.get(k) ?? 0));
    expect(over).toEqual([]);
    expect(r.state.join('\n')).not.toMatch(PLATE_RE);
  }, 400_000);

  // Issue 12 item 5 target: a SIGKILL loses ≤ 2 % (the tracks alive at the kill are rebuilt by the warm-up re-read).
  it('SIGKILL loses ≤ 2 % of the crossings and movements (target)', () => {
    expect(Number.isFinite(loss.crossings)).toBe(true);
    expect(Math.abs(loss.crossings)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(loss.movements)).toBeLessThanOrEqual(0.02);
  });
});

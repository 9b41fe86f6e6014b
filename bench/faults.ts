/**
 * `npm run bench -- faults`: the fault matrix of issue 12. A fixed input (chartres-centre, first 10 scenario minutes:
 * camera frames, counter records, raw sightings) runs through the Kafka pipeline on a 3-node KRaft cluster (replication
 * factor 3, min.insync.replicas 2), one OS process per role. Once per role (ingest, video-flows, counts, tokenizer,
 * od-matcher, sinks) and for the broker leading the detections partition 0, that process is SIGKILLed when half of the
 * input has been acknowledged and restarted 3 s later (the broker 10 s later); the stored totals (counter counts, line
 * crossings, movements, OD trips) are compared with a clean run. Writes .bench/faults.json.
 * Options (env): PASSAGE_FAULTS_SECONDS (input length, default 600), PASSAGE_FAULTS_ONLY (comma-separated cases),
 * PASSAGE_FAULTS_TOPICS (comma-separated input topics, default `detections,counts,sightingsRaw`): the OD column needs
 * half an hour of sightings for trips to complete, which the camera frames would make a 200,000-record input, so it is
 * measured on the sightings alone (`PASSAGE_FAULTS_TOPICS=sightingsRaw PASSAGE_FAULTS_SECONDS=1800`, ≈12,000 records).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ClusterHandle, startCluster } from '@passage/kafka-local';
import { loadScenario, replayRecords } from '@passage/sim';
import { Pipeline, pipelineConfig, quiescent, startIngest } from './_pipeline.ts';

const REPO = resolve(import.meta.dirname, '..');
const SCENARIO = join(REPO, 'infra/scenarios/chartres-centre');
const OUTPUTS = ['counts', 'crossings', 'movements', 'odTrips'] as const;

type InputTopic = 'detections' | 'counts' | 'sightingsRaw';

async function writeInput(seconds: number, topics: InputTopic[]): Promise<{ file: string; records: number }> {
  const ctx = await loadScenario(SCENARIO);
  const dir = mkdtempSync(join(tmpdir(), 'passage-faults-input-'));
  const file = join(dir, 'input.jsonl');
  const lines: string[] = [];
  for (const r of replayRecords(ctx, { toS: seconds, topics })) {
    lines.push(JSON.stringify({ topic: r.topic, key: r.key, value: r.value }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, records: lines.length };
}

/**
 * Until the roles reading ingested topics (written without transactions: no markers) have committed every record
 * of them, at most `maxMs`; throws otherwise. `quiescent` alone only sees that nothing was committed for a few
 * seconds, which a restarted role still restoring or re-reading (video-flows' warm-up) also looks like: stopping it
 * then would report a loss the role did not make.
 */
async function consumedAll(
  t: ReturnType<typeof pipelineConfig>['t'],
  config: ReturnType<typeof pipelineConfig>['config'],
  maxMs = 120_000,
): Promise<void> {
  // Not the raw sightings: video-flows writes plates there in transactions (their markers take offsets).
  const inputs: [string, string][] = [
    ['video-flows', config.topics.detections],
    ['counts', config.topics.counts],
  ];
  const admin = t.kafka.admin();
  await admin.connect();
  const t0 = Date.now();
  try {
    for (;;) {
      const behind: string[] = [];
      for (const [role, topic] of inputs) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [done] = await admin.fetchOffsets({ groupId: `${config.kafka.groupPrefix}.${role}`, topics: [topic] });
        for (const e of ends) {
          const at = Number(done?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
          if (Number(e.high) > 0 && at < Number(e.high)) behind.push(`${role} ${topic}/${e.partition} ${at}/${e.high}`);
        }
      }
      if (behind.length === 0) return;
      if (Date.now() - t0 > maxMs) throw new Error(`input not consumed after ${maxMs} ms: ${behind.join(', ')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function runCase(
  cluster: ClusterHandle,
  input: { file: string; records: number },
  fault: string | null,
): Promise<{ totals: Record<string, number>; seconds: number }> {
  const t0 = Date.now();
  const id = `faults-${fault ?? 'clean'}-${Date.now().toString(36)}`;
  const { configFile, config, t } = pipelineConfig(id, cluster.brokers, join(SCENARIO, 'scenario.json'));
  await t.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions: 4 })));
  const pipeline = new Pipeline(configFile, 5000);
  await pipeline.startAll();
  const progressFile = join(pipeline.dataDir, 'ingest.progress');
  let ingest = startIngest(configFile, input.file, progressFile, 0);
  await ingest.ready;
  if (fault) {
    // Mid-stream: half of the input acknowledged by the cluster.
    const sent = () => (existsSync(progressFile) ? Number(readFileSync(progressFile, 'utf8')) : 0);
    while (sent() < input.records / 2) await new Promise((r) => setTimeout(r, 100));
    if (fault === 'ingest') {
      ingest.child.kill('SIGKILL');
      await ingest.exited;
      await new Promise((r) => setTimeout(r, 3000));
      ingest = startIngest(configFile, input.file, progressFile, 0);
      await ingest.ready;
    } else if (fault === 'broker-leader') {
      const leader = await cluster.leaderOf(config.topics.detections, 0);
      await cluster.kill(leader);
      await new Promise((r) => setTimeout(r, 10_000));
      await cluster.restart(leader);
    } else {
      await pipeline.kill(fault);
      await new Promise((r) => setTimeout(r, 3000));
      await pipeline.start(fault);
    }
  }
  if ((await ingest.exited) !== 0) throw new Error(`ingest failed:\n${ingest.output()}`);
  // Drain, then stop in pipeline order; each graceful stop emits final outputs the next stage consumes.
  await consumedAll(t, config);
  await quiescent(t, config);
  for (const name of ['video-flows', 'counts', 'tokenizer', 'od-matcher']) {
    await pipeline.stop(name);
    await quiescent(t, config, 4000);
  }
  await pipeline.stop('sinks');
  await t.close();
  pipeline.dispose();
  if (!pipeline.totals) throw new Error('the sinks reported no totals');
  return { totals: pipeline.totals, seconds: (Date.now() - t0) / 1000 };
}

export async function run(): Promise<Record<string, number>> {
  const seconds = Number(process.env.PASSAGE_FAULTS_SECONDS ?? 600);
  const cases = ['broker-leader', 'video-flows', 'od-matcher', 'tokenizer', 'counts', 'sinks', 'ingest'];
  const only = process.env.PASSAGE_FAULTS_ONLY?.split(',').filter(Boolean);
  const topics = (process.env.PASSAGE_FAULTS_TOPICS ?? 'detections,counts,sightingsRaw')
    .split(',')
    .filter(Boolean) as InputTopic[];
  const input = await writeInput(seconds, topics);
  /** Written after every case, so a long run interrupted still leaves the cases done. */
  const save = (results: Record<string, unknown>) => {
    mkdirSync(join(REPO, '.bench'), { recursive: true });
    writeFileSync(
      join(REPO, '.bench/faults.json'),
      `${JSON.stringify({ date: new Date().toISOString(), inputSeconds: seconds, inputTopics: topics, inputRecords: input.records, results }, null, 2)}\n`,
    );
  };
  const cluster = await startCluster({ nodes: 3, quiet: true });
  const results: Record<string, { totals: Record<string, number>; seconds: number; error?: string }> = {};
  const flat: Record<string, number> = { inputRecords: input.records };
  try {
    results.clean = await runCase(cluster, input, null);
    process.stderr.write(`faults clean: ${JSON.stringify(results.clean)}\n`);
    save(results);
    for (const c of cases.filter((x) => !only || only.includes(x))) {
      try {
        results[c] = await runCase(cluster, input, c);
      } catch (e) {
        results[c] = { totals: {}, seconds: 0, error: (e as Error).message.slice(0, 2000) };
      }
      process.stderr.write(`faults ${c}: ${JSON.stringify(results[c])}\n`);
      save(results);
    }
  } finally {
    await cluster.stop();
  }
  const clean = results.clean.totals;
  for (const [c, r] of Object.entries(results)) {
    for (const o of OUTPUTS) {
      flat[`${c}.${o}`] = r.totals[o] ?? Number.NaN;
      if (c !== 'clean' && clean[o]) flat[`${c}.${o}.diffPct`] = ((r.totals[o] - clean[o]) / clean[o]) * 100;
    }
  }
  save(results);
  return flat;
}

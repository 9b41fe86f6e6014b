/**
 * Open-data exports of the demo scenario itself (not fixtures): 30 simulated minutes of the committed
 * chartres-centre scenario through every embedded role, then the national counting schema, OD and footfall
 * exports validate against their TableSchema files and publish no cell below k.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@passage/config';
import { loadScenario, runReplay } from '@passage/sim';
import {
  countingSchema,
  exportDataset,
  FOOTFALL_SCHEMA,
  loadScenarioMetadata,
  migrate,
  OD_SCHEMA,
  openStore,
  parseCsv,
  type Store,
  validateCsv,
} from '@passage/store';
import { createLogger } from '@passage/stream';
import { startEmbedded } from '@passage/workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCENARIO = resolve(import.meta.dirname, '../../../infra/scenarios/chartres-centre');
const K = 5;
let store: Store;
let out: string;
let from: number;
let to: number;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  await loadScenarioMetadata(store.client, join(SCENARIO, 'scenario.json'));
  const ctx = await loadScenario(SCENARIO);
  const config = loadConfig({ env: { PASSAGE_SITES_FILE: join(SCENARIO, 'scenario.json') } });
  const emb = await startEmbedded(config, store, createLogger({ level: 'warn' }));
  await runReplay(
    ctx,
    { publish: (t, r) => emb.bus.publish(config.topics[t], r) },
    { toS: 1800, onProgress: () => {} },
  );
  await emb.close();
  from = ctx.scenario.start;
  to = from + 3_600_000;
  out = mkdtempSync(join(tmpdir(), 'passage-demo-export-'));
}, 600_000);
afterAll(async () => {
  await store?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

const read = (f: string) => readFileSync(join(out, f), 'utf8');

describe('exports of the demo scenario', () => {
  it('counting (national schema), OD and footfall validate; no cell below k', async () => {
    await exportDataset({ store, dataset: 'counting', from, to, format: 'csv', outDir: out, k: K });
    for (const [file, schema] of [
      ['sites.csv', 'site'],
      ['channels.csv', 'channel'],
      ['measures.csv', 'measure'],
    ] as const) {
      expect(validateCsv(countingSchema(schema), read(file)), file).toEqual([]);
    }
    const measures = parseCsv(read('measures.csv')).slice(1);
    const published = measures.filter((m) => m[4] !== '');
    expect(published.length).toBeGreaterThan(50);
    for (const m of published) expect(Number(m[4]) === 0 || Number(m[4]) >= K).toBe(true);
    // Camera lines carried real counts from the video pipeline.
    expect(published.reduce((a, m) => a + Number(m[4]), 0)).toBeGreaterThan(1000);

    await exportDataset({ store, dataset: 'od', from, to, format: 'csv', outDir: out, k: K });
    expect(validateCsv(OD_SCHEMA, read('od.csv'))).toEqual([]);
    for (const r of parseCsv(read('od.csv')).slice(1)) expect(Number(r[5])).toBeGreaterThanOrEqual(K);

    await exportDataset({ store, dataset: 'footfall', from, to, format: 'csv', outDir: out, k: K });
    expect(validateCsv(FOOTFALL_SCHEMA, read('footfall.csv'))).toEqual([]);
    const foot = parseCsv(read('footfall.csv')).slice(1);
    expect(foot.length).toBeGreaterThan(0);
    for (const r of foot) if (r[4] !== '') expect(Number(r[4]) === 0 || Number(r[4]) >= K).toBe(true);
  });
});

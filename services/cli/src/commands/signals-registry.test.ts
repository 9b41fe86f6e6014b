/**
 * `passage signals plan` without a SUMO world: the site registry's controllers planned by the API's own route, in
 * process. The command's output must equal what the API (and so the dashboard) answers for the same junction and
 * range (one truth), on a real chDB store holding the signals fixture (a controller with AM and off-peak plans over
 * camera cam-bd-nord's movements).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@passage/api';
import { fillFixture } from '@passage/api/fixtures/aggregates';
import { fillSignalsFixture, SIGNALS_FIXTURE } from '@passage/api/fixtures/signals-footfall';
import { loadConfig } from '@passage/config';
import { migrate, openStore } from '@passage/store';
import { createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from './signals.ts';

const tmp = mkdtempSync(join(tmpdir(), 'passage-signals-registry-'));
const data = join(tmp, 'data');
let start = 0;
let end = 0;

beforeAll(async () => {
  const store = openStore({ dataDir: data });
  await migrate(store.client);
  const fx = await fillFixture(store.client, { hours: 2 });
  await fillSignalsFixture(store.client, fx.start, 2);
  start = fx.start;
  end = fx.end;
  await store.close();
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const plan = async (...args: string[]) => {
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await run(['plan', '--data', data, ...args]);
  } finally {
    err.mockRestore();
  }
};

describe('passage signals plan from the site registry', () => {
  it('plans each registry controller exactly as the API answers for the same range', async () => {
    const out = join(tmp, 'plan.json');
    expect(await plan('--out', out)).toBe(0);
    const plans = JSON.parse(readFileSync(out, 'utf8')) as {
      junction: string;
      from: number;
      to: number;
      plan: { current: { planId: string; cycleS: number }; proposed: { cycleS: number; delayS: number } };
    }[];
    expect(plans.map((p) => p.junction)).toEqual([SIGNALS_FIXTURE.controller]);
    const [p] = plans;
    // default range: the stored movements of the controller's camera (the fixture's two hours)
    expect(p.from).toBeGreaterThanOrEqual(start);
    expect(p.to).toBeLessThanOrEqual(end + 900_000);
    expect(p.to - p.from).toBeGreaterThanOrEqual(3_600_000);
    expect(p.plan.current.planId).toBe('AM');
    expect(p.plan.proposed.cycleS).toBeGreaterThanOrEqual(40);

    const store = openStore({ dataDir: data });
    const config = loadConfig({ env: {}, overrides: { api: { keys: ['traffic:traffic-key-0123456789abcdef'] } } });
    const app = await buildApp({ config, store, log: createLogger({ level: 'silent' }), dashboardDir: false });
    try {
      const q = `from=${new Date(p.from).toISOString()}&to=${new Date(p.to).toISOString()}&design=peak15`;
      const r = await app.inject({
        method: 'GET',
        url: `/api/v1/signals/${SIGNALS_FIXTURE.controller}/plan?${q}`,
        headers: { 'x-api-key': 'traffic-key-0123456789abcdef' },
      });
      expect(r.statusCode).toBe(200);
      expect(p.plan).toEqual(r.json());
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('writes the per-approach table as CSV, current and proposed', async () => {
    const json = join(tmp, 'p.json');
    const csv = join(tmp, 'p.csv');
    expect(await plan('--out', json)).toBe(0);
    expect(await plan('--format', 'csv', '--out', csv)).toBe(0);
    const [p] = JSON.parse(readFileSync(json, 'utf8')) as {
      plan: { current: { approaches: { approach: string; delayS: number }[] }; proposed: { approaches: unknown[] } };
    }[];
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('junction,approach,name,plan,control,cycle_s,flow_pcu_h,x,delay_s,los,queue95_pcu');
    expect(lines).toHaveLength(1 + p.plan.current.approaches.length + p.plan.proposed.approaches.length);
    const first = lines[1].split(',');
    expect(first[0]).toBe(SIGNALS_FIXTURE.controller);
    expect(first[1]).toBe(p.plan.current.approaches[0].approach);
    expect(Number(first[8])).toBeCloseTo(p.plan.current.approaches[0].delayS, 1);
    // the registry's plan is fixed-time, the proposal vehicle-actuated (the API's `control`)
    const control = lines.slice(1).map((l) => l.split(',')[4]);
    const n = p.plan.current.approaches.length;
    expect(control).toEqual([...Array(n).fill('fixed'), ...Array(lines.length - 1 - n).fill('actuated')]);
  });

  it('says what is missing: an unknown junction, a SUMO output without a network', async () => {
    await expect(plan('--junction', 'nope')).rejects.toMatchObject({ code: 'PASSAGE_SIGNALS_NO_CONTROLLERS' });
    await expect(plan('--format', 'sumo')).rejects.toMatchObject({ code: 'PASSAGE_CLI_USAGE' });
    await expect(run(['verify'])).rejects.toMatchObject({ code: 'PASSAGE_CLI_USAGE' });
  });
});

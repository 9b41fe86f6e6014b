/**
 * `passage ingest` of a counter feed registers its sites in the store (issue 11): a Telraam month then
 * `passage export --dataset counting` fills sites.csv, channels.csv and measures.csv (0 rows before), and says
 * what the feed lacks; with a site registry configured, sensors outside it are refused (UNKNOWN_SENSOR).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const TELRAAM = join(REPO, 'services/ingest/src/counts/fixtures/segment-9000008311-2025-10-hourly.json');
const tmp = mkdtempSync(join(tmpdir(), 'reg-ingest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function passage(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '', PASSAGE_SITES_FILE: '', ...env },
    maxBuffer: 64 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const csvRows = (p: string) => readFileSync(p, 'utf8').trim().split('\n').slice(1);

describe('passage ingest registers the sites of a counter feed', () => {
  it('Telraam month → ingest → export counting: the segment is a site with 8 channels and hourly measures', () => {
    const data = join(tmp, 'telraam');
    const i = passage({}, 'ingest', '--format', 'telraam', TELRAAM, '--data', data);
    expect(i.code, i.err).toBe(0);
    expect(i.err + i.out).toContain('telraam:9000008311');
    expect(i.err + i.out).toContain('PASSAGE_INGEST_SITE_INCOMPLETE');
    const out = join(tmp, 'telraam-export');
    const e = passage(
      {},
      'export',
      '--dataset',
      'counting',
      '--from',
      '2025-10-01',
      '--to',
      '2025-11-01',
      '--out',
      out,
      '--data',
      data,
    );
    expect(e.code, e.err).toBe(0);
    const sites = csvRows(join(out, 'sites.csv'));
    expect(sites).toHaveLength(1);
    expect(sites[0]).toMatch(/^site-telraam:9000008311,/);
    const channels = csvRows(join(out, 'channels.csv'));
    expect(channels).toHaveLength(8); // 4 modes × 2 directions
    expect(csvRows(join(out, 'measures.csv')).length).toBe(8 * 744); // every hour of October 2025 per channel
  });

  it('SensorThings with expanded Thing locations: the site is placed where the Thing is', () => {
    const file = join(tmp, 'sta.json');
    const obs = (h: number, n: number) => ({
      phenomenonTime: `2025-10-01T0${h}:00:00Z/2025-10-01T0${h + 1}:00:00Z`,
      result: n,
      Datastream: {
        '@iot.id': 77,
        name: 'Radzählstelle Alster',
        Thing: { Locations: [{ location: { type: 'Point', coordinates: [10.0021, 53.5611] } }] },
      },
    });
    writeFileSync(file, JSON.stringify({ value: [obs(6, 120), obs(7, 340)] }));
    const data = join(tmp, 'sta');
    const i = passage({}, 'ingest', '--format', 'sensorthings', '--mode', 'bicycle', file, '--data', data);
    expect(i.code, i.err).toBe(0);
    expect(i.err).not.toContain('PASSAGE_INGEST_SITE_INCOMPLETE');
    const q = passage({}, 'query', 'SELECT site_id, name, lon, lat FROM sites FINAL', '--data', data);
    expect(q.out).toContain('"site_id":"site-sta:77"');
    expect(q.out).toContain('"lon":10.0021');
    expect(q.out).toContain('"lat":53.5611');
  });

  it('with a site registry configured, sensors outside it are named and their records refused', () => {
    const reg = join(tmp, 'registry.json');
    writeFileSync(reg, JSON.stringify({ name: 'ville', counters: [{ id: 'loop-1', kind: 'loop', modes: ['car'] }] }));
    const data = join(tmp, 'with-registry');
    const i = passage({ PASSAGE_SITES_FILE: reg }, 'ingest', '--format', 'telraam', TELRAAM, '--data', data);
    expect(i.err).toContain('PASSAGE_INGEST_NOT_IN_REGISTRY');
    expect(i.err).toContain('telraam:9000008311');
    const q = passage({}, 'query', 'SELECT count() AS n FROM counts_1m', '--data', data);
    expect(q.out).toContain('{"n":0}');
    const d = passage({}, 'query', 'SELECT device_id FROM devices FINAL', '--data', data);
    expect(d.out).toContain('"device_id":"loop-1"');
  });
});

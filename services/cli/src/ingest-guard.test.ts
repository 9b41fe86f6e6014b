/**
 * Counts guard rails end to end (issue 12 item 4): a counts.v1 file through `passage ingest --format json` into
 * the store. The same record three times is stored once, by its message id too; 1e15 and 1e308 store nothing; an
 * unknown sensor is refused when a registry is configured. (A reversed interval in a file is refused by the adapter,
 * PASSAGE_COUNTS_TIME; through Kafka by the role: counts-guard.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const tmp = mkdtempSync(join(tmpdir(), 'reg-guard-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function passage(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '', PASSAGE_SITES_FILE: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const T0 = Date.UTC(2026, 2, 10, 7, 0);
const rec = (sensorId: string, minute: number, count: number, extra: Record<string, unknown> = {}) => ({
  sensorId,
  start: T0 + minute * 60_000,
  end: T0 + (minute + 1) * 60_000,
  direction: 'in',
  mode: 'car',
  count,
  ...extra,
});

function stored(data: string): { sensor_id: string; total: number }[] {
  const q = passage(
    {},
    'query',
    "SELECT sensor_id, sum(raw_count) AS total FROM counts_1m WHERE interval = '1h' GROUP BY sensor_id ORDER BY sensor_id",
    '--data',
    data,
  );
  return q.out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('passage ingest: counts guard rails', () => {
  it('stores a record delivered three times once, and nothing of 1e15 or 1e308', () => {
    const file = join(tmp, 'counts.json');
    writeFileSync(
      file,
      JSON.stringify([
        rec('loop-1', 0, 12),
        rec('loop-1', 0, 12),
        rec('loop-1', 0, 12),
        rec('loop-1', 1, 7, { id: 'obs-7' }),
        rec('loop-1', 2, 7, { id: 'obs-7' }), // same message id delivered again (its interval re-stamped)
        rec('loop-1', 3, 1e15),
        rec('loop-1', 4, 1e308),
        rec('loop-1', 6, 9),
      ]),
    );
    const data = join(tmp, 'a');
    const r = passage({}, 'ingest', '--format', 'json', file, '--data', data);
    expect(r.err).not.toContain('FATAL');
    expect(stored(data)).toEqual([{ sensor_id: 'loop-1', total: 28 }]); // 12 + 7 + 9
  });

  it('refuses the records of a sensor outside the configured registry (UNKNOWN_SENSOR)', () => {
    const reg = join(tmp, 'registry.json');
    writeFileSync(reg, JSON.stringify({ counters: [{ id: 'loop-1', kind: 'loop', modes: ['car'] }] }));
    const file = join(tmp, 'two-sensors.json');
    writeFileSync(file, JSON.stringify([rec('loop-1', 0, 12), rec('loop-x', 0, 40), rec('loop-1', 1, 3)]));
    const data = join(tmp, 'b');
    const r = passage({ PASSAGE_SITES_FILE: reg }, 'ingest', '--format', 'json', file, '--data', data);
    expect(r.err).toContain('loop-x');
    expect(stored(data)).toEqual([{ sensor_id: 'loop-1', total: 15 }]);
  });
});

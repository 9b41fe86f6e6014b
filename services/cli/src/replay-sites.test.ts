/** `passage replay` stores the sites of the replayed world with its data (issue 11: 0 rows exported before). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const tmp = mkdtempSync(join(tmpdir(), 'reg-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function passage(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '', PASSAGE_SITES_FILE: '' },
    maxBuffer: 64 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('passage replay loads the site registry into the store', () => {
  it('two minutes of counter records → 13 counters, 11 junctions, 11 zones; the counting export has them', () => {
    const data = join(tmp, 'data');
    const r = passage(
      'replay',
      join(REPO, 'infra/scenarios/chartres-centre'),
      '--until',
      '120',
      '--only',
      'counts',
      '--data',
      data,
    );
    expect(r.code, r.err).toBe(0);
    const q = passage(
      'query',
      'SELECT kind, count() AS n FROM sites FINAL GROUP BY kind ORDER BY kind',
      '--data',
      data,
    );
    expect(
      q.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { kind: 'counter', n: 13 },
      { kind: 'intersection', n: 11 },
      { kind: 'zone', n: 11 },
    ]);
    const out = join(tmp, 'export');
    const e = passage(
      'export',
      '--dataset',
      'counting',
      '--from',
      '2026-03-10T06:00:00Z',
      '--to',
      '2026-03-10T08:00:00Z',
      '--out',
      out,
      '--data',
      data,
    );
    expect(e.code, e.err).toBe(0);
    const rows = (f: string) => readFileSync(join(out, f), 'utf8').trim().split('\n').length - 1;
    expect(rows('sites.csv')).toBeGreaterThanOrEqual(13);
    expect(rows('channels.csv')).toBeGreaterThan(13);
    expect(rows('measures.csv')).toBeGreaterThan(0);
  });
});

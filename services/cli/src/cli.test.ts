/**
 * The `passage` command as a user runs it (a child process per call): help, usage errors, the MOTChallenge
 * tracker and evaluator, migrations, the read-only query guard.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const MOT = join(REPO, 'services/core/src/mot/fixtures/TUD-Campus');
const tmp = mkdtempSync(join(tmpdir(), 'passage-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function passage(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '' },
    maxBuffer: 16 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('passage CLI', () => {
  it('lists its commands and rejects unknown ones with exit code 2', () => {
    const h = passage('--help');
    expect(h.code).toBe(0);
    for (const c of ['demo', 'migrate', 'worker', 'stack', 'replay', 'eval', 'track', 'eval-mot', 'ingest', 'export']) {
      expect(h.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    const u = passage('nosuch');
    expect(u.code).toBe(2);
    expect(u.err).toContain("unknown command 'nosuch'");
  });

  it('eval-mot reproduces py-motmetrics on the reference hypothesis; track + eval-mot beat MOTA 0.55', () => {
    const ref = passage('eval-mot', join(MOT, 'gt.txt'), join(MOT, 'reference-hypothesis.txt'), '--json');
    expect(ref.code).toBe(0);
    const m = JSON.parse(ref.out);
    expect(m.mota).toBeCloseTo(0.526462, 3);
    expect(m.idf1).toBeCloseTo(0.557659, 3);
    const t = passage('track', '--mot', join(MOT, 'det.txt'), '--fps', '25');
    expect(t.code).toBe(0);
    expect(t.err).toMatch(/tracked 321 detections in 71 frames/);
    const hyp = join(tmp, 'hyp.txt');
    writeFileSync(hyp, t.out);
    const ours = JSON.parse(passage('eval-mot', join(MOT, 'gt.txt'), hyp, '--json').out);
    expect(ours.mota).toBeGreaterThanOrEqual(0.55);
    expect(ours.idf1).toBeGreaterThanOrEqual(0.6);
  });

  it('migrate is idempotent; query refuses writes with a clear code', () => {
    const data = join(tmp, 'store');
    const first = passage('migrate', '--data', data);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Applied \d+ migration/);
    const second = passage('migrate', '--data', data);
    expect(second.out).toMatch(/is up to date/);
    const q = passage('query', 'DROP TABLE od_15m', '--data', data);
    expect(q.code).toBe(2);
    expect(q.err).toContain('PASSAGE_QUERY_READ_ONLY');
    const ok = passage('query', 'SELECT count() AS n FROM schema_migrations', '--data', data);
    expect(Number(JSON.parse(ok.out.trim()).n)).toBeGreaterThan(3);
  });

  it('explains a bad configuration value and exits 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'migrate', '--data', join(tmp, 'x')], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_BROKERS: 'not a broker' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KAFKA_BROKERS.*PASSAGE_CONFIG_INVALID/s);
  });
});

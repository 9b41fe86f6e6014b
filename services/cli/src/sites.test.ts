/** `passage sites validate|export` as a user runs them (a child process per call). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const DIR = join(REPO, 'infra/scenarios/chartres-centre');
const tmp = mkdtempSync(join(tmpdir(), 'reg-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function passage(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('passage sites', () => {
  it('exports the simulated world as a registry equal to the committed registry.json, which validates', () => {
    const out = join(tmp, 'registry.json');
    const e = passage('sites', 'export', DIR, '--out', out);
    expect(e.code, e.err).toBe(0);
    const strip = (p: string) => {
      const { $schema: _s, ...rest } = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
      return rest;
    };
    expect(strip(out), 'regenerate with: passage sites export infra/scenarios/chartres-centre').toEqual(
      strip(join(DIR, 'registry.json')),
    );
    const v = passage('sites', 'validate', join(DIR, 'registry.json'));
    expect(v.code, v.err).toBe(0);
    expect(v.out).toContain('is valid: 11 cameras, 13 counters, 93 sighting sites, 11 zones');
    expect(v.out).toMatch(
      /camera cam-bd-nord: 9 calibration pairs, reprojection error 0\.00\d m RMS on the ground \(limit 1\), 0\.\d\d px RMS in the image/,
    );
  });

  it('lists every error with its path and exits 1', () => {
    const doc = JSON.parse(readFileSync(join(DIR, 'registry.json'), 'utf8'));
    delete doc.zones[0].polygon;
    delete doc.sightingSites[5].position;
    doc.sightingSites[6].zoneId = 'zone-x';
    doc.cameras[1].lines[0].a = [doc.cameras[1].lines[0].a[1], doc.cameras[1].lines[0].a[0]]; // lat/lon swapped
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const v = passage('sites', 'validate', bad, '--json');
    expect(v.code).toBe(1);
    const r = JSON.parse(v.out) as { ok: boolean; errors: { path: string; code: string }[] };
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        '/zones/0/polygon',
        '/sightingSites/5/position',
        '/sightingSites/6/zoneId',
        '/cameras/1/lines/0',
      ]),
    );
    const text = passage('sites', 'validate', bad);
    expect(text.code).toBe(1);
    expect(text.err).toContain('/sightingSites/6/zoneId: sighting site');
    expect(text.err).toContain('is not a usable registry');
  });
});

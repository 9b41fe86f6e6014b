import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@passage/config';
import { afterAll, describe, expect, it } from 'vitest';
import { odNetworkPath, odRoutes } from './od-matcher.ts';

// The route model of the OD estimation read from a sites file and the road network beside it (docs/OD-AND-PRIVACY.md,
// "Counted lines as constraints: route shares").
const DREUX = resolve(import.meta.dirname, '../../../../infra/scenarios/dreux-grid');
const cfg = (od: { network?: string } = {}, sitesFile = join(DREUX, 'scenario.json')) =>
  loadConfig({ env: {}, overrides: { sitesFile, od } });
const dir = mkdtempSync(join(tmpdir(), 'od-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('odRoutes: the road network beside the sites file', () => {
  it('finds sumo/net.xml.gz beside the sites file; none turns it off', () => {
    expect(odNetworkPath(cfg())).toBe(join(DREUX, 'sumo/net.xml.gz'));
    expect(odNetworkPath(cfg({ network: 'none' }))).toBeNull();
    expect(odRoutes(cfg({ network: 'none' }))).toBeNull();
  });

  it("dreux-grid: every camera line is a constraint; the car park's trips to the east gate cross the east gate camera's north arm", () => {
    const r = odRoutes(cfg());
    expect(r?.lines).toHaveLength(28);
    // The car park (no plate camera, no counter) has edges, and its routes cross counted lines: it can be estimated.
    expect(r?.shares.zoneEdges.get('parking')?.length).toBeGreaterThan(0);
    const toEast = r?.shares.shares.get('parking\u0000gate-e');
    expect(toEast?.get('cam-porte-est:l-n|in')).toBe(1);
    // A gate-to-gate route crosses the lines of the gate cameras it passes, and no line twice in one direction.
    const we = r?.shares.shares.get('gate-w\u0000gate-e');
    expect([...(we?.values() ?? [])].every((v) => v > 0 && v <= 1)).toBe(true);
    expect(we?.get('cam-porte-ouest:l-w|in')).toBe(1);
  });

  it('refuses a projected network and a missing file (PASSAGE_OD_NETWORK)', () => {
    const projected = join(dir, 'projected.net.xml.gz');
    writeFileSync(
      projected,
      gzipSync('<net><location netOffset="-448000,-5400000" projParameter="+proj=utm +zone=31 +ellps=WGS84"/></net>'),
    );
    expect(() => odRoutes(cfg({ network: projected }))).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_NETWORK' }),
    );
    expect(() => odRoutes(cfg({ network: join(dir, 'missing.net.xml') }))).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_NETWORK', message: expect.stringMatching(/no such file/) }),
    );
  });
});

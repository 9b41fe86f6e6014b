/**
 * The roles read the sites file through the registry's validation: bad geometry is refused when the role starts,
 * with every error and its path (PASSAGE_REGISTRY_INVALID), instead of a RangeError at the camera's first frame.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPassageError, loadConfig } from '@passage/config';
import { clearRegistryCache } from '@passage/registry';
import { describe, expect, it } from 'vitest';
import { videoFlowsRole } from './roles/video-flows.ts';
import { cameraPipelineOptions, loadSitesFile } from './sites.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'reg-sites-'));
const registry = JSON.parse(readFileSync(join(REPO, 'infra/scenarios/chartres-centre/registry.json'), 'utf8'));

describe('sites file of the roles', () => {
  it('video-flows refuses a camera at latitude 95 and a line 1 km away when it starts, naming both', () => {
    const doc = JSON.parse(JSON.stringify(registry));
    doc.cameras[0].position.lat = 95;
    const l = doc.cameras[1].lines[0];
    l.a = [l.a[0] + 0.0135, l.a[1]];
    l.b = [l.b[0] + 0.0135, l.b[1]];
    const path = join(tmp, 'bad.json');
    writeFileSync(path, JSON.stringify(doc));
    clearRegistryCache();
    const config = loadConfig({ env: {}, overrides: { sitesFile: path } });
    let err: unknown;
    try {
      videoFlowsRole(config).create();
    } catch (e) {
      err = e;
    }
    expect(err).not.toBeInstanceOf(RangeError);
    expect(isPassageError(err) && err.code).toBe('PASSAGE_REGISTRY_INVALID');
    expect((err as Error).message).toContain('/cameras/0/position/lat');
    expect((err as Error).message).toMatch(
      /\/cameras\/1\/lines\/0: line "cam-bd-est:l-e" is outside the view .* lies 9\d\d m/,
    );
  });

  it('a camera without siteId and zones, lines drawn in pixels: pipeline options on the ground', () => {
    const cam = JSON.parse(JSON.stringify(registry.cameras[0]));
    delete cam.siteId;
    delete cam.zones;
    const [p, q] = cam.calibration;
    cam.lines = [{ id: 'px', a: p.image, b: q.image, space: 'image' }];
    const path = join(tmp, 'px.json');
    writeFileSync(path, JSON.stringify({ cameras: [cam] }));
    const def = loadSitesFile(path).cameras[0];
    const o = cameraPipelineOptions(def, { fps: 10 });
    expect(o.siteId).toBe(`site-${cam.id}`);
    // The image size of the sites file: boxes cut by the border are recognised even when frames do not say it.
    expect(o.imageSize).toEqual({ width: 1920, height: 1080 });
    // Lines count crossings up to 2 m beyond their drawn ends (calibration error at the pavement).
    expect(o.lines[0].extentTolM).toBe(2);
    expect(o.zones).toEqual([]);
    // The line's ends are the two calibration points on the ground (within 1 cm of their map positions).
    const frame = {
      x: (lon: number) => (lon - cam.position.lon) * 111_195 * Math.cos((cam.position.lat * Math.PI) / 180),
    };
    expect(Math.abs(o.lines[0].a[0] - frame.x(p.map[0]))).toBeLessThan(0.01);
  });
});

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPassageError } from '@passage/config';
import { clearRegistryCache } from '@passage/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './client.ts';
import { sitesGeoJson } from './export/datasets.ts';
import { loadScenarioMetadata } from './metadata.ts';
import { MIGRATIONS_DIR, migrate } from './migrate.ts';

let store: Store;
const dir = mkdtempSync(join(tmpdir(), 'reg-meta-'));
beforeAll(async () => {
  store = openStore({ dataDir: join(dir, 'data') });
  // Only the metadata tables (migrations 0001, 0002, 0007): the test does not depend on later migrations.
  const mig = join(dir, 'migrations');
  mkdirSync(mig);
  for (const f of ['0001_core_tables.sql', '0002_scenario_metadata.sql', '0007_signal_controllers.sql'])
    copyFileSync(join(MIGRATIONS_DIR, f), join(mig, f));
  await migrate(store.client, mig);
});
afterAll(async () => {
  await store.close();
});

const rows = async (sql: string) => (await store.client.query({ query: sql, format: 'JSONEachRow' })).json();

describe('registry → store metadata', () => {
  it('loads a city registry without siteId, without zones and with a counter that has no line', async () => {
    const path = join(dir, 'registry.json');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'ville',
        timezone: 'Europe/Paris',
        counters: [
          { id: 'telraam:9000008311', kind: 'telraam', modes: ['car', 'heavy', 'bicycle', 'pedestrian'] },
          { id: 'loop-1', kind: 'loop', modes: ['car'], line: { a: [1.48, 48.44], b: [1.4802, 48.44] } },
        ],
      }),
    );
    const r = await loadScenarioMetadata(store.client, path);
    expect(r).toEqual({ scenario: 'ville', sites: 2, devices: 2, streets: 0 });
    expect(await rows("SELECT site_id, kind, geometry = '' AS nogeo FROM sites FINAL ORDER BY site_id")).toEqual([
      { site_id: 'site-loop-1', kind: 'counter', nogeo: 0 },
      { site_id: 'site-telraam:9000008311', kind: 'counter', nogeo: 1 },
    ]);
    // The sites GeoJSON (export, API) gives the counter without a place a null geometry.
    const fc = await sitesGeoJson(store.client);
    expect(fc.features.map((f) => [f.properties.site_id, f.geometry === null])).toEqual([
      ['site-loop-1', false],
      ['site-telraam:9000008311', true],
    ]);
  });

  it('stores the signal controllers of a registry (groups, intergreens, plans)', async () => {
    const path = join(dir, 'signals.json');
    const cam = JSON.parse(readFileSync(join(MIGRATIONS_DIR, '../../scenarios/chartres-centre/registry.json'), 'utf8'))
      .cameras[0];
    writeFileSync(
      path,
      JSON.stringify({
        name: 'ville',
        cameras: [cam],
        signalControllers: [
          {
            id: 'ctl-1',
            siteId: cam.siteId,
            cameraIds: [cam.id],
            signalGroups: [{ id: 'K1', minGreenS: 7, movements: [{ from: cam.zones[0].id, to: cam.zones[1].id }] }],
            intergreens: [{ from: 'K1', to: 'K1', s: 4 }],
            plans: [{ id: 'am', cycleS: 80, greens: [{ group: 'K1', startS: 0, endS: 40 }] }],
          },
        ],
      }),
    );
    await loadScenarioMetadata(store.client, path);
    const r = (await rows('SELECT controller_id, site_id, camera_ids, config FROM signal_controllers FINAL')) as {
      controller_id: string;
      site_id: string;
      camera_ids: string[];
      config: string;
    }[];
    expect(r.map((x) => [x.controller_id, x.site_id, x.camera_ids])).toEqual([['ctl-1', cam.siteId, [cam.id]]]);
    expect(JSON.parse(r[0].config).plans[0].greens).toEqual([{ group: 'K1', startS: 0, endS: 40 }]);
  });

  it('refuses zones without polygons and sighting sites without positions with every error, not a TypeError', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        zones: [{ id: 'z1', name: 'Z' }],
        sightingSites: [{ id: 'wifi-1', zoneId: 'z1', kind: 'wifi', radiusM: 20 }],
      }),
    );
    clearRegistryCache();
    const err = await loadScenarioMetadata(store.client, path).catch((e: unknown) => e);
    expect(isPassageError(err) && err.code).toBe('PASSAGE_REGISTRY_INVALID');
    expect((err as Error).message).toContain('/zones/0/polygon: "polygon" is missing');
    expect((err as Error).message).toContain('/sightingSites/0/position: "position" is missing');
  });
});

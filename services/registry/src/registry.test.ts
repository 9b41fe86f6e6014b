import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPassageError } from '@passage/config';
import { mulberry32 } from '@passage/core/prng';
import { describe, expect, it } from 'vitest';
import {
  clearRegistryCache,
  loadRegistry,
  MAX_REPROJECTION_GROSS_PX,
  MAX_REPROJECTION_M,
  MAX_VIEW_DISTANCE_M,
  readRegistryFile,
  registryFromScenario,
  registryJsonSchema,
  validateRegistry,
} from './index.ts';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const SCENARIO = join(REPO, 'infra/scenarios/chartres-centre/scenario.json');
const scenario = JSON.parse(readFileSync(SCENARIO, 'utf8')) as Record<string, unknown> & {
  cameras: Record<string, unknown>[];
  zones: Record<string, unknown>[];
  counters: Record<string, unknown>[];
  sightingSites: Record<string, unknown>[];
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('site registry', () => {
  it('publishes the JSON Schema generated from the TypeBox schema', () => {
    const file = readFileSync(join(REPO, 'infra/registry/registry.schema.json'), 'utf8');
    expect(file, 'regenerate infra/registry/registry.schema.json with registryJsonSchema()').toBe(registryJsonSchema());
  });

  it('reads the committed scenario.json as a registry: no errors, calibrations within a pixel', () => {
    const r = readRegistryFile(SCENARIO);
    expect(r.fromScenario).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.registry?.cameras).toHaveLength(11);
    expect(r.registry?.counters).toHaveLength(13);
    expect(r.registry?.sightingSites).toHaveLength(93);
    expect(r.calibration).toHaveLength(11);
    for (const c of r.calibration) expect(c.rmsPx).toBeLessThan(0.3);
    // Simulation truth is not part of the registry.
    const doc = registryFromScenario({ ...scenario, synth: { sightings: { wifiRandomShare: 1 } } }) as Record<
      string,
      unknown
    >;
    expect(doc.start).toBeUndefined();
    expect(doc.seed).toBeUndefined();
    expect(doc.synth).toBeUndefined();
    expect(JSON.stringify(doc.counters)).not.toContain('faulty');
  });

  it('needs no siteId and no zones; draws lines in pixels onto the map through the calibration', () => {
    const cam = clone(scenario.cameras[0]) as {
      id: string;
      siteId?: string;
      zones?: unknown;
      lines: { id: string; a: number[]; b: number[] }[];
      calibration: { image: [number, number]; map: [number, number] }[];
    };
    delete cam.siteId;
    delete cam.zones;
    const [p, q] = cam.calibration;
    cam.lines = [{ id: 'px-line', a: p.image, b: q.image, space: 'image' } as never];
    const r = validateRegistry({ cameras: [cam] });
    expect(r.errors).toEqual([]);
    const c = r.registry?.cameras[0];
    expect(c?.siteId).toBe(`site-${cam.id}`);
    expect(c?.zones).toEqual([]);
    // The pixels of two calibration pairs land on their map points (within 1 cm).
    const l = c?.lines[0];
    expect(Math.abs((l?.a[0] ?? 0) - p.map[0]) * 73_800).toBeLessThan(0.01);
    expect(Math.abs((l?.a[1] ?? 0) - p.map[1]) * 111_200).toBeLessThan(0.01);
    expect(Math.abs((l?.b[1] ?? 0) - q.map[1]) * 111_200).toBeLessThan(0.01);
  });

  it('reports every error at once, each with its path', () => {
    const doc = registryFromScenario(clone(scenario)) as Record<string, unknown> & typeof scenario;
    // 1. a zone without a polygon; 2. a sighting site without a position; 3. a reference to an unknown zone
    delete doc.zones[1].polygon;
    delete doc.sightingSites[0].position;
    doc.sightingSites[1].zoneId = 'nowhere';
    // 4. duplicate camera id
    doc.cameras[2].id = doc.cameras[1].id as string;
    // 5. a line 1 km east of its camera
    const cam0 = doc.cameras[0] as { lines: { a: number[]; b: number[] }[]; zones: { polygon: number[][] }[] };
    cam0.lines[0].a = [cam0.lines[0].a[0] + 0.0135, cam0.lines[0].a[1]];
    cam0.lines[0].b = [cam0.lines[0].b[0] + 0.0135, cam0.lines[0].b[1]];
    // 6. overlapping arms: arm 1 of camera 0 drawn over arm 0
    cam0.zones[1].polygon = clone(cam0.zones[0].polygon);
    // 7. a calibration pair 300 px off
    const cam3 = doc.cameras[3] as { calibration: { image: number[] }[] };
    cam3.calibration[2].image = [cam3.calibration[2].image[0] + 300, cam3.calibration[2].image[1]];
    // 8. a misspelt field
    (doc.counters[0] as Record<string, unknown>).mdoes = ['car'];
    const r = validateRegistry(doc);
    const got = r.errors.map((e) => `${e.path} ${e.code}`);
    expect(got).toEqual(
      expect.arrayContaining([
        '/zones/1/polygon PASSAGE_REGISTRY_SCHEMA',
        '/sightingSites/0/position PASSAGE_REGISTRY_SCHEMA',
        '/sightingSites/1/zoneId PASSAGE_REGISTRY_UNKNOWN_REF',
        '/cameras/2/id PASSAGE_REGISTRY_DUPLICATE_ID',
        '/cameras/0/lines/0 PASSAGE_REGISTRY_OUT_OF_VIEW',
        '/cameras/0/zones/1/polygon PASSAGE_REGISTRY_OVERLAP',
        '/cameras/3/calibration PASSAGE_REGISTRY_CALIBRATION_ERROR',
        '/counters/0/mdoes PASSAGE_REGISTRY_SCHEMA',
      ]),
    );
    expect(r.registry).toBeNull();
    const byPath = new Map(r.errors.map((e) => [e.path, e.message]));
    expect(byPath.get('/zones/1/polygon')).toContain('"polygon" is missing');
    expect(byPath.get('/cameras/0/lines/0')).toMatch(/lies 9\d\d m from the camera \(limit 200 m\)/);
    expect(MAX_VIEW_DISTANCE_M).toBe(200);
    expect(byPath.get('/cameras/3/calibration')).toMatch(
      /disagree by 0\.63 m RMS on the ground and 46\.9 px in the image \(limits 1 m, 25 px; worst: pair \d, 1\.07 m\)/,
    );
    const rms = r.calibration.find((c) => c.cameraId === doc.cameras[3].id)?.rmsPx ?? 0;
    expect(rms).toBeGreaterThan(MAX_REPROJECTION_GROSS_PX);
  });

  it('checks signal controllers: unknown arms and groups, greens outside the cycle or below the minimum', () => {
    const doc = registryFromScenario(clone(scenario)) as Record<string, unknown> & typeof scenario;
    const cam = doc.cameras[0] as { id: string; zones: { id: string }[] };
    doc.signalControllers = [
      {
        id: 'ctl-1',
        cameraIds: [cam.id, 'cam-missing'],
        signalGroups: [
          { id: 'g1', movements: [{ from: cam.zones[0].id, to: cam.zones[1].id }], minGreenS: 7 },
          { id: 'g2', movements: [{ from: 'arm-missing', to: cam.zones[0].id }] },
        ],
        intergreens: [{ from: 'g1', to: 'g3', s: 5 }],
        plans: [
          {
            id: 'am',
            cycleS: 60,
            greens: [
              { group: 'g1', startS: 0, endS: 5 },
              { group: 'g2', startS: 30, endS: 70 },
            ],
          },
        ],
      },
    ];
    const got = validateRegistry(doc).errors.map((e) => e.path);
    expect(got).toEqual([
      '/signalControllers/0/cameraIds/1',
      '/signalControllers/0/signalGroups/1/movements/0/from',
      '/signalControllers/0/intergreens/0/to',
      '/signalControllers/0/plans/0/greens/0',
      '/signalControllers/0/plans/0/greens/1',
    ]);
  });

  it('accepts the other worlds and the API fixture: imprecise calibrations and corner overlaps are warnings', () => {
    for (const f of ['infra/scenarios/dreux-grid/scenario.json', 'services/api/src/fixtures/scenario.json']) {
      const r = readRegistryFile(join(REPO, f));
      expect(r.errors, f).toEqual([]);
    }
    // dreux-grid: lens-like residuals of 5–11 px in the image, under 1 m on the ground.
    const dreux = readRegistryFile(join(REPO, 'infra/scenarios/dreux-grid/scenario.json'));
    expect(dreux.warnings.some((w) => w.code === 'PASSAGE_REGISTRY_CALIBRATION_ERROR')).toBe(true);
    for (const c of dreux.calibration) expect(c.rmsM).toBeLessThan(MAX_REPROJECTION_M);
    // API fixture: arms overlapping at a corner (≤ 2.2 % of an arm).
    const api = readRegistryFile(join(REPO, 'services/api/src/fixtures/scenario.json'));
    expect(api.warnings.filter((w) => w.code === 'PASSAGE_REGISTRY_OVERLAP')).toHaveLength(24);
  });

  it('refuses a bad file at load with PASSAGE_REGISTRY_INVALID listing every error (no crash later)', () => {
    const doc = clone(scenario);
    delete doc.zones[0].polygon;
    delete doc.sightingSites[3].position;
    const dir = mkdtempSync(join(tmpdir(), 'reg-'));
    const path = join(dir, 'sites.json');
    writeFileSync(path, JSON.stringify(doc));
    clearRegistryCache();
    let err: unknown;
    try {
      loadRegistry(path);
    } catch (e) {
      err = e;
    }
    expect(isPassageError(err) && err.code).toBe('PASSAGE_REGISTRY_INVALID');
    expect((err as Error).message).toContain('2 error(s)');
    expect((err as Error).message).toContain('/zones/0/polygon');
    expect((err as Error).message).toContain('/sightingSites/3/position');
  });

  it('never throws, whatever a file holds: 1000 randomly damaged registries give errors, not exceptions', () => {
    const base = registryFromScenario(clone(scenario)) as Record<string, unknown>;
    const rand = mulberry32(7);
    const junk: unknown[] = [null, 1, -1, 'x', [], {}, [1], [[1, 2]], { lon: 'a' }, 1e308, true];
    let withErrors = 0;
    for (let n = 0; n < 1000; n++) {
      const doc = clone(base);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        let node: unknown = doc;
        let parent: Record<string, unknown> | null = null;
        let key = '';
        for (let d = 0; d < 1 + Math.floor(rand() * 6) && node !== null && typeof node === 'object'; d++) {
          const keys = Object.keys(node);
          if (keys.length === 0) break;
          key = keys[Math.floor(rand() * keys.length)];
          parent = node as Record<string, unknown>;
          node = parent[key];
        }
        if (parent) parent[key] = junk[Math.floor(rand() * junk.length)];
      }
      const r = validateRegistry(doc);
      if (r.errors.length > 0) withErrors++;
      expect(r.registry === null).toBe(r.errors.length > 0);
    }
    expect(withErrors).toBeGreaterThan(500);
  });
});

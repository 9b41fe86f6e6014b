/**
 * Checks on the committed scenario (skipped when it is absent): the committed truth files are exactly what the
 * code generates from the committed trajectories, and the truth is physically consistent.
 * The "matches the committed truth files" tests are [regression pin]s: the truth files were written by
 * `writeScenarioTruth(dir)` from this code, so they prove "unchanged", not "right" (the flow-conservation test and
 * tables.test.ts check behaviour). After a deliberate change of truth rules or a rebuilt world, regenerate with
 * `writeScenarioTruth(dir)` (@passage/sim), commit the truth/ files and re-measure the figures that use them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../synth/scenario.ts';
import { readTruth } from './files.ts';
import { buildTruth, type TruthTables } from './tables.ts';

const SCENARIO = join(import.meta.dirname, '../../../../infra/scenarios/chartres-centre');
const have = existsSync(join(SCENARIO, 'trajectories.csv.gz')) && existsSync(join(SCENARIO, 'truth'));

describe.skipIf(!have && process.env.CI !== 'true')('ground truth of the committed scenario', () => {
  let built: TruthTables;
  let committed: TruthTables;
  beforeAll(async () => {
    built = buildTruth(await loadScenario(SCENARIO));
    committed = await readTruth(join(SCENARIO, 'truth'));
  }, 120_000);

  it('[regression pin] matches the committed truth files (regenerate with writeScenarioTruth(dir) after a rebuild)', () => {
    expect(committed.lineCounts.length).toBe(built.lineCounts.length);
    expect(committed).toEqual(built);
  });

  it("conserves flow at every camera: 'in' (towards the junction) ≈ 'out' ≈ movements on the boulevards", () => {
    const sum = (cam: string, dir: string) =>
      built.lineCounts.filter((r) => r.cameraId === cam && r.direction === dir).reduce((s, r) => s + r.count, 0);
    for (const cam of ['cam-bd-nord', 'cam-bd-est', 'cam-bd-sud', 'cam-bd-ouest']) {
      const inn = sum(cam, 'in');
      const out = sum(cam, 'out');
      const mv = built.movements.filter((r) => r.cameraId === cam).reduce((s, r) => s + r.count, 0);
      expect(inn).toBeGreaterThan(500);
      expect(Math.abs(inn - out) / inn).toBeLessThan(0.02);
      expect(Math.abs(mv - out) / out).toBeLessThan(0.02);
    }
  });
});

describe.each(['dreux-grid', 'anet-rand', 'nogent-spider'])('ground truth of the committed world %s', (name) => {
  const dir = join(import.meta.dirname, '../../../../infra/scenarios', name);
  it('[regression pin] matches the committed truth files (regenerate with writeScenarioTruth(dir) after a rebuild)', async () => {
    const built = buildTruth(await loadScenario(dir));
    expect(await readTruth(join(dir, 'truth'))).toEqual(built);
  }, 120_000);
});

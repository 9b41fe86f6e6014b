import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMiniCity, miniCityContext, writeMiniCity } from './fixtures/mini-city.ts';
import { parseAgents } from './readers.ts';
import { loadScenario, type SimContext } from './scenario.ts';

describe('scenario readers', () => {
  let dir: string;
  let loaded: SimContext;
  const city = makeMiniCity();
  const mem = miniCityContext(city);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'passage-sim-'));
    await writeMiniCity(dir, city);
    loaded = await loadScenario(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads agents and trajectories back exactly', () => {
    expect(loaded.agents).toEqual(mem.agents);
    expect(loaded.traj.n).toBe(city.rows.length);
    expect(Array.from(loaded.traj.t)).toEqual(Array.from(mem.traj.t));
    expect(Array.from(loaded.traj.x)).toEqual(Array.from(mem.traj.x));
    expect(Array.from(loaded.traj.nextRow)).toEqual(Array.from(mem.traj.nextRow));
  });

  it('converts front-bumper positions to footprint centres', () => {
    const bus = loaded.agents.find((a) => a.mode === 'bus');
    expect(bus).toBeDefined();
    const a = bus?.index ?? 0;
    const r = loaded.traj.byAgent[loaded.traj.agentStart[a]];
    const raw = city.rows.find((row) => row.id === bus?.id && row.t === loaded.traj.t[r]);
    expect(raw).toBeDefined();
    const rad = ((raw?.angle ?? 0) * Math.PI) / 180;
    expect(loaded.traj.x[r]).toBeCloseTo((raw?.x ?? 0) - 6 * Math.sin(rad), 6);
    expect(loaded.traj.y[r]).toBeCloseTo((raw?.y ?? 0) - 6 * Math.cos(rad), 6);
  });

  it('indexes steps and per-agent paths consistently', () => {
    const tr = loaded.traj;
    let bad = 0;
    for (let k = 0; k + 1 < tr.stepTimes.length; k++) {
      for (let r = tr.stepStart[k]; r < tr.stepStart[k + 1]; r++) if (tr.t[r] !== tr.stepTimes[k]) bad++;
    }
    for (let a = 0; a < loaded.agents.length; a++) {
      for (let j = tr.agentStart[a]; j < tr.agentStart[a + 1]; j++) {
        if (tr.agent[tr.byAgent[j]] !== a) bad++;
        if (j > tr.agentStart[a] && !(tr.t[tr.byAgent[j]] > tr.t[tr.byAgent[j - 1]])) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(tr.stepStart[tr.stepStart.length - 1]).toBe(tr.n);
  });

  it('rejects unknown modes with a PassageError', () => {
    expect(() =>
      parseAgents([
        'id,mode,vtype,lengthM,widthM,heightM,depart,arrive,origin,destination,plate,device',
        'x,tram,t,1,1,1,0,,a,b,,',
      ]),
    ).toThrow(/mode 'tram'/);
  });
});

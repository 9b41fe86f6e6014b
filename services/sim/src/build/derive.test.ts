import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AgentPlan } from './demand.ts';
import {
  AGENTS_HEADER,
  agentsCsv,
  deriveFromFcd,
  fileLines,
  gzip9,
  NearMask,
  TRAJECTORIES_HEADER,
  trajLine,
} from './derive.ts';
import { readGzText, scenarioModel } from './scenario.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenarioDir = join(here, '../../../../infra/scenarios/chartres-centre');

const plan = (id: string, mode: AgentPlan['mode'], vtype: string): AgentPlan => ({
  id,
  mode,
  vtype,
  depart: 0,
  origin: 'gate-n',
  destination: 'core',
  fromEdge: 'a',
  toEdge: 'b',
  plate: mode === 'pedestrian' ? '' : 'AB-123-CD',
  device: '',
});

describe('deriveFromFcd', () => {
  it('keeps rows near sensors, sorts each step by id and tracks first/last appearance', async () => {
    const keep = (x: number, y: number): boolean => Math.hypot(x, y) < 100;
    const r = await deriveFromFcd(fileLines(join(here, 'fixtures/fcd-small.xml')), keep);
    expect(r.trajectoriesCsv).toBe(
      [
        TRAJECTORIES_HEADER,
        '0,car0001,0.00,0.00,0.00,0.00',
        '0,car0002,10.00,-5.00,90.00,12.50',
        '0.5,car0001,0.00,0.40,359.99,0.80',
        '0.5,car0002,16.25,-5.00,90.00,12.50',
        '1,car0001,0.00,1.20,0.00,1.60',
        '',
      ].join('\n'),
    );
    expect(r.trajectoryRows).toBe(5);
    expect(r.lastT).toBe(1.5);
    expect(r.seen.get('ped0001')).toEqual({ first: 0.5, last: 1.5 });
    const agents = agentsCsv(
      [
        plan('car0001', 'car', 'car_small'),
        plan('car0002', 'car', 'car_suv'),
        plan('ped0001', 'pedestrian', 'ped_adult'),
      ],
      r.seen,
      r.lastT,
    );
    expect(agents.csv).toBe(
      [
        AGENTS_HEADER,
        'car0001,car,car_small,4.05,1.73,1.45,0,1,gate-n,core,AB-123-CD,',
        'car0002,car,car_suv,4.6,1.86,1.66,0,0.5,gate-n,core,AB-123-CD,',
        'ped0001,pedestrian,ped_adult,0.3,0.5,1.72,0.5,,gate-n,core,,',
        '',
      ].join('\n'),
    );
  });

  it('drops rows at or after endS', async () => {
    const r = await deriveFromFcd(fileLines(join(here, 'fixtures/fcd-small.xml')), () => true, 1);
    expect(r.trajectoryRows).toBe(5);
    expect(r.lastT).toBe(0.5);
  });

  it('writes deterministic gzip (mtime 0, OS byte 3)', () => {
    const a = gzip9('t,id\n1,x\n');
    const b = gzip9('t,id\n1,x\n');
    expect(a.equals(b)).toBe(true);
    expect(a.readUInt32LE(4)).toBe(0);
    expect(a[9]).toBe(3);
    expect(gunzipSync(a).toString()).toBe('t,id\n1,x\n');
  });

  it('NearMask agrees with the exact circle test', () => {
    const circles = [
      { x: 0, y: 0, r: 30 },
      { x: 55, y: 10, r: 12 },
    ];
    const m = new NearMask(circles);
    for (let x = -50; x <= 80; x += 0.7)
      for (let y = -50; y <= 50; y += 0.9) {
        const exact = circles.some((c) => (x - c.x) ** 2 + (y - c.y) ** 2 <= c.r * c.r);
        expect(m.has(x, y)).toBe(exact);
      }
  });
});

describe.skipIf(!existsSync(join(scenarioDir, 'trajectories.csv.gz')) && process.env.CI !== 'true')(
  // [regression pin] The committed trajectories.csv.gz and agents.csv.gz were written by trajLine/agentsCsv: these
  // tests prove the writers still give the same bytes (format, rounding, order), not that the values are right. A
  // deliberate format change means rebuilding the worlds (`passage sim build <name>`) and committing their files.
  '[regression pin] committed chartres-centre derived files',
  () => {
    it('re-serialising the committed trajectories gives the same bytes, sorted, near sensors only', () => {
      const text = readGzText(join(scenarioDir, 'trajectories.csv.gz'));
      const scenario = JSON.parse(readFileSync(join(scenarioDir, 'scenario.json'), 'utf8'));
      const model = scenarioModel({ name: scenario.name, seed: scenario.seed, durationS: scenario.durationS });
      const mask = new NearMask(model.sensors.keepCircles);
      const lines = text.split('\n');
      expect(lines[0]).toBe(TRAJECTORIES_HEADER);
      expect(lines[lines.length - 1]).toBe('');
      const out: string[] = [TRAJECTORIES_HEADER];
      let prevT = -1;
      let prevId = '';
      for (let i = 1; i < lines.length - 1; i++) {
        const [t, id, x, y, angle, speed] = lines[i].split(',');
        const row = { t: Number(t), id, x: Number(x), y: Number(y), angle: Number(angle), speed: Number(speed) };
        if (!(row.t > prevT || (row.t === prevT && id > prevId))) throw new Error(`row ${i} out of order`);
        prevT = row.t;
        prevId = id;
        if (!(row.t < scenario.durationS) || (row.t / scenario.stepS) % 1 !== 0) throw new Error(`row ${i}: bad t`);
        // Positions are rounded to 1 cm: allow that much outside the kept circles.
        if (!mask.has(row.x, row.y) && !mask.has(row.x + 0.01, row.y + 0.01) && !mask.has(row.x - 0.01, row.y - 0.01))
          throw new Error(`row ${i} is not near any sensor`);
        out.push(trajLine(row));
      }
      out.push('');
      expect(out.join('\n') === text).toBe(true);
    });

    it('re-serialising the committed agents gives the same bytes; every trajectory id is an agent', () => {
      const agents = readGzText(join(scenarioDir, 'agents.csv.gz'));
      const rows = agents.split('\n');
      expect(rows[0]).toBe(AGENTS_HEADER);
      const ids = new Set(rows.slice(1, -1).map((r) => r.split(',')[0]));
      const modes = new Set(rows.slice(1, -1).map((r) => r.split(',')[1]));
      expect([...modes].sort()).toEqual(['bicycle', 'bus', 'car', 'motorcycle', 'pedestrian', 'truck', 'van']);
      const traj = readGzText(join(scenarioDir, 'trajectories.csv.gz'));
      let start = traj.indexOf('\n') + 1;
      while (start < traj.length) {
        const c1 = traj.indexOf(',', start);
        const id = traj.slice(c1 + 1, traj.indexOf(',', c1 + 1));
        if (!ids.has(id)) throw new Error(`unknown agent ${id}`);
        start = traj.indexOf('\n', start) + 1;
      }
      expect(gunzipSync(gzip9(agents)).toString('utf8')).toBe(agents);
    });
  },
);

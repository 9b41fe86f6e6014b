import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectToImage } from '../../camera.ts';
import { localPolygon, pointInPolygon } from '../../geo.ts';
import { toLocal } from '../geo.ts';
import { edgeHalfWidth } from '../network.ts';
import { parseNetXml } from '../netxml.ts';
import { createRng } from '../prng.ts';
import { readGzText } from '../scenario.ts';
import { buildCamera, buildCounter, buildSensors, junctionArms } from '../sensors.ts';
import { dreuxGrid } from './dreux-grid.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '../../../../../infra/scenarios/dreux-grid');
const { net } = parseNetXml(readGzText(join(dir, 'sumo/net.xml.gz')));
const origin = dreuxGrid.defaults.origin;
type V2 = [number, number];
const local = (p: readonly [number, number]): V2 => toLocal(origin, p[0], p[1]);

describe('net.xml reader', () => {
  it('reads junctions, edges and cross-sections of the netgenerate grid', () => {
    expect(net.nodes.filter((n) => /^[A-E]\d$/.test(n.id))).toHaveLength(20);
    const avenue = net.edge('B1-C1');
    expect(avenue.geom).toMatchObject({ lanes: 2, vehicles: true });
    expect(net.edge('B2-C2').geom).toMatchObject({ lanes: 1, vehicles: true });
    expect(avenue.geom!.sidewalk).toBeGreaterThan(1);
    expect(edgeHalfWidth(avenue)).toBeCloseTo(2 * avenue.geom!.laneWidth + avenue.geom!.sidewalk, 6);
    expect(net.node('C1').type).toBe('traffic_light');
  });
});

describe('generic placement on a netgenerate network', () => {
  const spec = {
    id: 'cam-test',
    name: 'test',
    node: 'C1',
    heightM: 6,
    hfovDeg: 90,
    width: 1920,
    height: 1080,
    fps: 12.5,
    mastDistancesM: [16, 20, 25, 30, 36, 42],
    calibration: { us: [0.1, 0.5, 0.9], vs: [0.6, 0.8, 0.95], pixelSigma: 2.5, groundZErrM: 0.15 },
  };
  const { cam, pin } = buildCamera(net, origin, spec, createRng(1, 'test'));
  const arms = junctionArms(net, 'C1');
  const c = net.node('C1');

  it('puts one line across each arm, spanning the street, 4 m beyond the zone start', () => {
    expect(arms).toHaveLength(4);
    expect(cam.lines).toHaveLength(4);
    for (const [i, line] of cam.lines.entries()) {
      const a = local(line.a);
      const b = local(line.b);
      const arm = arms[i];
      expect(Math.hypot(b[0] - a[0], b[1] - a[1])).toBeCloseTo(2 * (arm.halfWidth + 0.5), 1);
      // The midpoint lies on the arm's centre line, at most 4 m beyond where the zone starts (≥ 6 m out).
      const mid: V2 = [(a[0] + b[0]) / 2 - c.x, (a[1] + b[1]) / 2 - c.y];
      const along = mid[0] * arm.u[0] + mid[1] * arm.u[1];
      const across = mid[0] * -arm.u[1] + mid[1] * arm.u[0];
      expect(Math.abs(across)).toBeLessThan(0.01);
      expect(along).toBeGreaterThanOrEqual(6);
      expect(along).toBeLessThan(edgeHalfWidth(arm.edge) + 20);
    }
  });

  it('draws arm zones that never overlap', () => {
    expect(cam.zones).toHaveLength(4);
    const polys = cam.zones.map((z) => z.polygon.map(local));
    for (let i = 0; i < polys.length; i++)
      for (let j = 0; j < polys.length; j++) {
        if (i === j) continue;
        const lp = localPolygon(polys[j]);
        for (const [x, y] of polys[i]) expect(pointInPolygon(lp, x, y), `${i} in ${j}`).toBe(false);
      }
  });

  it('clicks calibration points within the installer’s errors of the pinhole model', () => {
    expect(cam.calibration.length).toBeGreaterThanOrEqual(4);
    let maxErr = 0;
    for (const p of cam.calibration) {
      const [x, y] = local(p.map);
      const uv = projectToImage(pin, x, y, 0);
      expect(uv).not.toBeNull();
      maxErr = Math.max(maxErr, Math.hypot(uv![0] - p.image[0], uv![1] - p.image[1]));
    }
    expect(maxErr).toBeGreaterThan(0.5);
    expect(maxErr).toBeLessThan(40);
  });

  it('lays counters across their street', () => {
    const { counter, at } = buildCounter(net, origin, {
      id: 'x',
      name: 'x',
      kind: 'telraam',
      modes: ['car'],
      edge: 'C2-C3',
      at: 0.5,
      span: 'full',
    });
    const a = local(counter.line.a);
    const b = local(counter.line.b);
    expect(Math.hypot(b[0] - a[0], b[1] - a[1])).toBeCloseTo(2 * (edgeHalfWidth(net.edge('C2-C3')) + 0.5), 1);
    expect(at[0]).toBeCloseTo(net.node('C2').x, 1);
  });

  it('rings an area zone with one cordon unit per street crossing its boundary', () => {
    const zones = dreuxGrid.zones(net);
    const sensors = buildSensors(net, origin, zones, dreuxGrid.layout(net, zones), 1);
    const cordon = sensors.sightingSites.filter((s) => s.id.startsWith('anpr-market-c'));
    // The market block has 4 corners, each with two outward streets less than 15 m apart: one unit each.
    expect(cordon).toHaveLength(4);
    const pts = cordon.map((s) => local([s.position.lon, s.position.lat]));
    for (let i = 0; i < pts.length; i++)
      for (let j = i + 1; j < pts.length; j++)
        expect(Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1])).toBeGreaterThan(15);
    expect(sensors.cameras).toHaveLength(7);
  });
});

/** Named zones of the scenario: where trips start and end, and the polygons written into scenario.json. */
import { ARMS, GATE_ARMS, type Network, polar, ringNode, STUBS } from './network.ts';

export type ZoneKind = 'gate' | 'parking' | 'station' | 'square' | 'core' | 'district';

export interface ZoneDef {
  id: string;
  name: string;
  kind: ZoneKind;
  /** Polygon in local metres (closed implicitly, counter-clockwise). */
  polygon: [number, number][];
  /** Edges where vehicles (and cyclists) start / end. */
  vehicleFrom: string[];
  vehicleTo: string[];
  /** Edges where pedestrians start / end. */
  walkFrom: string[];
  walkTo: string[];
  /** The road through which traffic enters the zone: sighting sites are placed there (local metres). */
  entry: [number, number];
  /** Where the zone's central sighting site stands (default: vertex mean of the polygon). */
  centre?: [number, number];
}

/** Rectangle along the bearing `deg` between radii r0 and r1, half-width hw (local metres). */
function radialRect(deg: number, r0: number, r1: number, hw: number): [number, number][] {
  const a = (deg * Math.PI) / 180;
  const u: [number, number] = [Math.sin(a), Math.cos(a)];
  const n: [number, number] = [u[1], -u[0]];
  const p = (r: number, s: number): [number, number] => [
    Math.round((u[0] * r + n[0] * s) * 100) / 100,
    Math.round((u[1] * r + n[1] * s) * 100) / 100,
  ];
  return [p(r0, hw), p(r1, hw), p(r1, -hw), p(r0, -hw)];
}

export function ccw(poly: [number, number][]): [number, number][] {
  let area = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i];
    const [x2, y2] = poly[(i + 1) % poly.length];
    area += x1 * y2 - x2 * y1;
  }
  return area < 0 ? [...poly].reverse() : poly;
}

export function buildZones(net: Network): ZoneDef[] {
  const [r1, r2, r3] = net.radii;
  const zones: ZoneDef[] = [];
  const gateNames: Record<string, string> = {
    N: 'Porte Nord (route de Paris)',
    E: 'Porte Est (route de Sours)',
    S: 'Porte Sud (route d’Orléans)',
    W: 'Porte Ouest (route de Courville)',
  };
  for (const [g, arm] of Object.entries(GATE_ARMS)) {
    const ring = ringNode(3, arm);
    const deg = arm * 45;
    zones.push({
      id: `gate-${g.toLowerCase()}`,
      name: gateNames[g],
      kind: 'gate',
      polygon: ccw(radialRect(deg, r3 + 30, net.gateRadius, 16)),
      vehicleFrom: [`g${g}-${ring}`],
      vehicleTo: [`${ring}-g${g}`],
      walkFrom: [`g${g}-${ring}`],
      walkTo: [`${ring}-g${g}`],
      entry: polar(r3 + 45, deg),
    });
  }
  const stub = (id: string, name: string, kind: ZoneKind, s: { arm: number; node: string }): ZoneDef => {
    const ring = ringNode(3, s.arm);
    const deg = s.arm * 45;
    return {
      id,
      name,
      kind,
      polygon: ccw(radialRect(deg, net.stubRadius - 35, net.stubRadius + 35, 40)),
      vehicleFrom: [`${s.node}-${ring}`],
      vehicleTo: [`${ring}-${s.node}`],
      walkFrom: [`${s.node}-${ring}`],
      walkTo: [`${ring}-${s.node}`],
      entry: polar(net.stubRadius - 45, deg),
    };
  };
  zones.push(stub('park-ne', 'Parking Cathédrale Nord', 'parking', STUBS.parkNE));
  zones.push(stub('park-se', 'Parking Hôtel de Ville', 'parking', STUBS.parkSE));
  zones.push(stub('station', 'Gare de Chartres', 'station', STUBS.station));

  // Market square on the middle ring, south-west of the cathedral.
  const mArm = 5;
  const m = ringNode(2, mArm);
  const mNeighbours = [ringNode(2, mArm - 1), ringNode(2, mArm + 1), ringNode(1, mArm), ringNode(3, mArm)];
  zones.push({
    id: 'market',
    name: 'Place du Marché (Billard)',
    kind: 'square',
    polygon: ccw(radialRect(mArm * 45, r2 - 40, r2 + 40, 40)),
    vehicleFrom: mNeighbours.filter((n) => n !== ringNode(1, mArm)).map((n) => `${m}-${n}`),
    vehicleTo: mNeighbours.filter((n) => n !== ringNode(1, mArm)).map((n) => `${n}-${m}`),
    walkFrom: mNeighbours.map((n) => `${m}-${n}`),
    walkTo: mNeighbours.map((n) => `${n}-${m}`),
    entry: polar(r2 + 45, mArm * 45),
  });

  // Residential districts on the middle ring (north and south-east), where residents' trips start.
  const district = (id: string, name: string, fromArm: number, toArm: number): ZoneDef => {
    const poly: [number, number][] = [];
    // 15° clear of the arms at both ends: the junctions there belong to no district, and the market square
    // (±9° around arm 5 on the middle ring) stays 25 m from the south-east district.
    const a0 = fromArm * 45 + 15;
    const a1 = toArm * 45 - 15;
    const steps = 12;
    // Inner edge 45 m outside the first ring: the core's cordon (12 m outside it) and the district's stay apart.
    for (let i = 0; i <= steps; i++) poly.push(polar(r1 + 45, a0 + ((a1 - a0) * i) / steps));
    for (let i = steps; i >= 0; i--) poly.push(polar(r3 - 25, a0 + ((a1 - a0) * i) / steps));
    const edges: string[] = [];
    for (let a = fromArm; a < toArm; a++)
      edges.push(`${ringNode(2, a)}-${ringNode(2, a + 1)}`, `${ringNode(2, a + 1)}-${ringNode(2, a)}`);
    for (let a = fromArm + 1; a < toArm; a++)
      edges.push(`${ringNode(1, a)}-${ringNode(2, a)}`, `${ringNode(2, a)}-${ringNode(1, a)}`);
    return {
      id,
      name,
      kind: 'district',
      polygon: ccw(poly),
      vehicleFrom: edges,
      vehicleTo: edges,
      walkFrom: edges,
      walkTo: edges,
      entry: polar(r2, ((fromArm + toArm) / 2) * 45 + 22.5),
      centre: polar((r1 + r2) / 2, Math.floor((fromArm + toArm) / 2) * 45),
    };
  };
  zones.push(district('district-north', 'Quartier Saint-André (nord)', -1, 2));
  zones.push(district('district-southeast', 'Quartier Saint-Pierre (sud-est)', 2, 5));

  // Pedestrian core around the cathedral: inside the first ring.
  const core: [number, number][] = [];
  for (let i = 0; i < 24; i++) core.push(polar(r1 + 12, (i * 360) / 24));
  const ring1: string[] = [];
  const pedestrian: string[] = [];
  for (let a = 0; a < ARMS; a++) {
    ring1.push(`${ringNode(1, a)}-${ringNode(1, a + 1)}`, `${ringNode(1, a + 1)}-${ringNode(1, a)}`);
    pedestrian.push(`c-${ringNode(1, a)}`, `${ringNode(1, a)}-c`);
  }
  zones.push({
    id: 'core',
    name: 'Cœur piéton – Cathédrale',
    kind: 'core',
    polygon: ccw(core),
    vehicleFrom: ring1,
    vehicleTo: ring1,
    walkFrom: [...pedestrian, ...ring1],
    walkTo: [...pedestrian, ...ring1],
    entry: polar(r1 + 5, 180),
  });
  return zones;
}

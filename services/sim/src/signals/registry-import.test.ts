/**
 * A SUMO program as a registry controller, on a hand-made junction: a north–south road with two lanes per
 * approach (kerb lane right + straight, inner lane straight + left that gives way, then gets a protected arrow),
 * an east–west road with one lane each (the west arm unwatched), two pedestrian crossings. Every number below is
 * read off the program by hand.
 */
import type { SignalLink } from '@passage/core';
import { validateRegistry } from '@passage/registry';
import { describe, expect, it } from 'vitest';
import { registryController } from './registry-import.ts';
import type { TlsCoverage } from './sumo-tls.ts';

const link = (index: number, from: string, lane: number, to: string, turn: SignalLink['turn']): SignalLink => ({
  index,
  from,
  to,
  lane: `${from}_${lane}`,
  turn,
  storageM: from === 'nIn' ? 120 + lane : 80,
  fedByJunction: from !== 'nIn',
});
const links: SignalLink[] = [
  link(0, 'nIn', 1, 'wOut', 'r'), // N kerb lane (SUMO lane 1: lane 0 is the sidewalk)
  link(1, 'nIn', 1, 'sOut', 's'),
  link(2, 'nIn', 2, 'sOut', 's'), // N inner lane
  link(3, 'nIn', 2, 'eOut', 'l'),
  link(4, 'sIn', 1, 'eOut', 'r'),
  link(5, 'sIn', 1, 'nOut', 's'),
  link(6, 'sIn', 2, 'nOut', 's'),
  link(7, 'sIn', 2, 'wOut', 'l'),
  link(8, 'eIn', 0, 'wOut', 's'),
  link(9, 'eIn', 0, 'sOut', 'l'),
  link(10, 'wIn', 0, 'eOut', 's'), // the unwatched west approach
  { index: 11, from: ':j_w0', to: ':j_c0', lane: ':j_w0_0', turn: 's', pedestrian: true },
  { index: 12, from: ':j_w1', to: ':j_c1', lane: ':j_w1_0', turn: 's', pedestrian: true },
];
// 0–30 N–S (lefts give way) + crossing 11; 30–34 N–S, crossing off; 34–37 amber N–S straight/right, lefts keep
// green with a protected arrow 34–40, amber 40–43; 43–70 E–W + crossing 12; 70–73 amber E–W; 73–75 all red.
const phases = [
  { durationS: 30, state: 'GGGgGGGgrrrGr' },
  { durationS: 4, state: 'GGGgGGGgrrrrr' },
  { durationS: 3, state: 'yyyGyyyGrrrrr' },
  { durationS: 3, state: 'rrrGrrrGrrrrr' },
  { durationS: 3, state: 'rrryrrryrrrrr' },
  { durationS: 27, state: 'rrrrrrrrGGGrG' },
  { durationS: 3, state: 'rrrrrrrryyyrr' },
  { durationS: 2, state: 'rrrrrrrrrrrrr' },
];
const cov: TlsCoverage = {
  tls: {
    controller: { id: 'j', links, phases, offsetS: 80 },
    junction: 'j',
    programId: '0',
    type: 'static',
    incoming: ['nIn', 'sIn', 'eIn', 'wIn'],
    outgoing: ['nOut', 'sOut', 'eOut', 'wOut'],
  },
  camera: 'cam',
  inEdgeOfZone: new Map([
    ['cam:n', 'nIn'],
    ['cam:s', 'sIn'],
    ['cam:e', 'eIn'],
  ]),
  outEdgeOfZone: new Map([
    ['cam:n', 'nOut'],
    ['cam:s', 'sOut'],
    ['cam:e', 'eOut'],
    ['cam:w', 'wOut'],
  ]),
  unobservedIncoming: ['wIn'],
};

describe('registryController', () => {
  const c = registryController(cov, { siteId: 'site-j', name: 'Junction j' });

  it('groups links by their aspects, names movements by camera arms with their lanes, keeps the amber', () => {
    expect(c.signalGroups).toEqual([
      {
        id: 'K1',
        kind: 'vehicle',
        movements: [
          { from: 'cam:n', to: 'cam:w', lanes: [0], turn: 'r' },
          { from: 'cam:n', to: 'cam:s', lanes: [0, 1], turn: 's' },
          { from: 'cam:s', to: 'cam:e', lanes: [0], turn: 'r' },
          { from: 'cam:s', to: 'cam:n', lanes: [0, 1], turn: 's' },
        ],
        amberS: 3,
      },
      {
        id: 'K2',
        kind: 'vehicle',
        movements: [
          { from: 'cam:n', to: 'cam:e', lanes: [1], turn: 'l' },
          { from: 'cam:s', to: 'cam:w', lanes: [1], turn: 'l' },
        ],
        amberS: 3,
      },
      {
        id: 'K3',
        kind: 'vehicle',
        // the west approach has no camera arm: K3 serves only what the east arm sees
        movements: [
          { from: 'cam:e', to: 'cam:w', lanes: [0], turn: 's' },
          { from: 'cam:e', to: 'cam:s', lanes: [0], turn: 'l' },
        ],
        amberS: 3,
      },
      { id: 'P1', kind: 'pedestrian' },
      { id: 'P2', kind: 'pedestrian' },
    ]);
  });

  it('lists the lanes of each watched approach with their storage and upstream', () => {
    expect(c.approaches).toEqual([
      { arm: 'cam:n', laneStorageM: [121, 122], fedByJunction: false },
      { arm: 'cam:s', laneStorageM: [80, 80], fedByJunction: true },
      { arm: 'cam:e', laneStorageM: [80], fedByJunction: true },
    ]);
  });

  it('writes the program as a plan: greens per aspect (the lefts give way 0–34 s, protected 34–40 s)', () => {
    expect(c.plans).toEqual([
      {
        id: 'sumo-0',
        cycleS: 75,
        offsetS: 5, // 80 mod 75
        greens: [
          { group: 'K1', startS: 0, endS: 34 },
          { group: 'K2', startS: 0, endS: 34, yields: true },
          { group: 'K2', startS: 34, endS: 40 },
          { group: 'K3', startS: 43, endS: 70 },
          { group: 'P1', startS: 0, endS: 30 },
          { group: 'P2', startS: 43, endS: 70 },
        ],
      },
    ]);
  });

  it('derives intergreens between groups never green together: green end to the next green start', () => {
    const ig = Object.fromEntries((c.intergreens ?? []).map((i) => [`${i.from}>${i.to}`, i.s]));
    // K1 ends at 34, K3 starts at 43; K2 ends at 40 → 43; K3 ends at 70 → K1, K2 and P1 start at 75 ≡ 0
    expect(ig).toEqual({
      'K1>K3': 9,
      'K1>P2': 9,
      'K2>K3': 3,
      'K2>P2': 3,
      'K3>K1': 5,
      'K3>K2': 5,
      'K3>P1': 5,
      'P1>K3': 13,
      'P1>P2': 13,
      'P2>K1': 5,
      'P2>K2': 5,
      'P2>P1': 5,
    });
  });

  it('is a valid registry controller for a camera with those arms', () => {
    const square = (lon: number): [number, number][] => [
      [lon, 48],
      [lon + 0.0001, 48],
      [lon + 0.0001, 48.0001],
    ];
    const doc = {
      name: 'j',
      origin: { lon: 1.5, lat: 48 },
      zones: [],
      cameras: [
        {
          id: 'cam',
          siteId: 'site-j',
          name: 'cam',
          position: { lon: 1.5, lat: 48 },
          width: 1920,
          height: 1080,
          zones: ['n', 's', 'e', 'w'].map((z, i) => ({ id: `cam:${z}`, name: z, polygon: square(1.5 + i * 0.0002) })),
        },
      ],
      counters: [],
      sightingSites: [],
      signalControllers: [c],
    };
    const r = validateRegistry(doc);
    expect(r.errors.filter((e) => e.path.startsWith('/signalControllers'))).toEqual([]);
    // a lane the approach does not have, an approach on an arm the cameras do not have
    const bad = structuredClone(c);
    (bad.signalGroups[1].movements ?? [])[0].lanes = [2];
    (bad.approaches ?? []).push({ arm: 'cam:x' });
    const e = validateRegistry({ ...structuredClone(doc), signalControllers: [bad] }).errors.filter((x) =>
      x.path.startsWith('/signalControllers'),
    );
    expect(e.map((x) => [x.path, x.code])).toEqual([
      ['/signalControllers/0/approaches/3/arm', 'PASSAGE_REGISTRY_UNKNOWN_REF'],
      ['/signalControllers/0/signalGroups/1/movements/0/lanes', 'PASSAGE_REGISTRY_UNKNOWN_REF'],
    ]);
    expect(e[1].message).toBe('lane 2 of arm "cam:n" does not exist: its approach lists 2 lane(s) in laneStorageM');
  });
});

/**
 * SUMO XML read with fast-xml-parser (no regex): lane lengths of a committed network, the ids a routes file holds,
 * the statistics output, and entity declarations never expanded (no XXE, no entity expansion).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseLaneLengths, parseSumoStats, routedIds } from './sumo.ts';

const world = (f: string) =>
  gunzipSync(readFileSync(new URL(`../../../../infra/scenarios/chartres-centre/sumo/${f}`, import.meta.url))).toString(
    'utf8',
  );

describe('SUMO XML readers', () => {
  it('lane lengths of the committed chartres-centre network: 110 edges, internal edges left out', () => {
    const lengths = parseLaneLengths(world('net.xml.gz'));
    expect(lengths.size).toBe(110);
    expect(lengths.get('c-r1a0')).toBe(97.01);
    expect([...lengths.keys()].some((k) => k.startsWith(':'))).toBe(false);
  });

  it('routed ids of the committed routes file: 6020 vehicles and persons', () => {
    const ids = routedIds(world('routes.rou.xml.gz'));
    expect(ids.size).toBe(6020);
  });

  it('statistics output: attributes of the headline elements', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<statistics xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <performance clockBegin="1" clockEnd="2"/>
    <vehicles loaded="120" inserted="118" running="0" waiting="2"/>
    <teleports total="3" jam="1" yield="2" wrongLane="0"/>
    <persons loaded="40" running="0" jammed="0"/>
</statistics>`;
    const s = parseSumoStats(xml);
    expect(s['vehicles.inserted']).toBe('118');
    expect(s['teleports.total']).toBe('3');
    expect(s['persons.loaded']).toBe('40');
    expect(Object.keys(s).some((k) => k.startsWith('performance.'))).toBe(false);
  });

  it('refuses external entities (XXE) and never expands internal ones', () => {
    const xxe = `<?xml version="1.0"?>
<!DOCTYPE routes [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<routes><vehicle id="&xxe;"/></routes>`;
    expect(() => routedIds(xxe)).toThrow(/External entities are not supported/);
    const internal = `<?xml version="1.0"?>
<!DOCTYPE routes [<!ENTITY big "AAAAAAAAAA">]>
<routes><person id="p&big;"/></routes>`;
    expect([...routedIds(internal)]).toEqual(['p&big;']);
  });
});

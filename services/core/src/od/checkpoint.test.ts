import { describe, expect, it } from 'vitest';
import type { OdCellLike } from '../privacy/kanon.ts';
import type { TokenSightingLike } from '../privacy/tokenizer.ts';
import { mulberry32 } from '../prng.ts';
import { OdMatcher, type OdMatcherOptions, type OdStateValue } from './matcher.ts';

const T0 = Date.parse('2026-03-10T06:00:00Z');
const ZONES = ['north', 'east', 'south', 'west', 'centre'];
const SITE_ZONE = Object.fromEntries(
  ZONES.flatMap((z) => [
    [`wifi-${z}`, z],
    [`anpr-${z}`, z],
    [`wifi-${z}-2`, z],
  ]),
);
const OPTIONS: OdMatcherOptions = {
  maxTravelTimeS: 900,
  maxTripDurationS: 1800,
  allowedLatenessMs: 0,
  siteZone: SITE_ZONE,
  kAnonymity: { k: 3, rule: 'suppress' },
  coarseWindowMs: 3_600_000,
  siteDevices: true,
};

/** 2,000 devices over 3 hours, 2–4 visits each, repeated probes; sorted by time. Tokens stand in for hashes. */
function sightings(): TokenSightingLike[] {
  const rnd = mulberry32(11);
  const out: TokenSightingLike[] = [];
  for (let d = 0; d < 2000; d++) {
    const kind = rnd() < 0.4 ? 'anpr' : 'wifi';
    const token = `tok${String(d).padStart(19, '0')}`;
    let t = T0 + Math.floor(rnd() * 3 * 3_600_000);
    let z = Math.floor(rnd() * 5);
    for (let v = 0, visits = 2 + Math.floor(rnd() * 3); v < visits; v++) {
      const site = kind === 'anpr' ? `anpr-${ZONES[z]}` : rnd() < 0.5 ? `wifi-${ZONES[z]}` : `wifi-${ZONES[z]}-2`;
      for (let p = 0, probes = kind === 'anpr' ? 1 : 1 + Math.floor(rnd() * 3); p < probes; p++) {
        out.push({ siteId: site, ts: Math.round(t), kind, token });
        t += 5_000 + rnd() * 20_000;
      }
      t += 60_000 + rnd() * 600_000;
      z = (z + 1 + Math.floor(rnd() * 4)) % 5;
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0));
}

type Out = { cells: OdCellLike[]; hourly: OdCellLike[]; sites: number };

/** Feeds `input` in batches of 250 with a watermark after each; `crashAt`: restart from the checkpoint there. */
function run(input: TokenSightingLike[], crashAt?: number): Out & { records: Map<string, string> } {
  const log = new Map<string, string>(); // the compacted topic: latest value per key, as bytes
  let m = new OdMatcher(OPTIONS);
  const out: Out = { cells: [], hourly: [], sites: 0 };
  const drain = () => {
    const c = m.drainCoarse();
    out.hourly.push(...c.cells);
    out.sites += c.sites.reduce((a, s) => a + s.devices, 0);
  };
  for (let i = 0; i < input.length; i += 250) {
    if (crashAt !== undefined && i === crashAt) {
      // SIGKILL: memory is gone; a new matcher reads the compacted topic back.
      m = new OdMatcher(OPTIONS);
      m.restore([...log.values()].map((v) => JSON.parse(v) as OdStateValue));
    }
    const batch = input.slice(i, i + 250);
    m.onSightings(batch);
    out.cells.push(...m.onWatermark(batch[batch.length - 1].ts));
    drain();
    // One transaction: outputs, these records and the input offset.
    for (const r of m.checkpoint()) log.set(r.key, JSON.stringify(r.value));
  }
  out.cells.push(...m.flush());
  drain();
  return { ...out, records: log };
}

const strip = (cells: OdCellLike[]) =>
  cells.map((c) => ({ ...c, tokens: undefined, travelTimesS: undefined })).map((c) => JSON.stringify(c));

describe('OdMatcher checkpoint (tokens only) and restore', () => {
  const input = sightings();
  const clean = run(input);
  const total = (cells: OdCellLike[]) => cells.reduce((a, c) => a + c.trips, 0);

  it('a crash mid-stream restored from the checkpoint gives the very same 15-min and hourly cells', () => {
    expect(total(clean.cells)).toBeGreaterThan(1000);
    for (const at of [250 * 20, 250 * 31, 250 * Math.floor(input.length / 500)]) {
      const crashed = run(input, at);
      expect(strip(crashed.cells)).toEqual(strip(clean.cells));
      expect(strip(crashed.hourly)).toEqual(strip(clean.hourly));
      expect(crashed.sites).toBe(clean.sites);
    }
  });

  it('without the checkpoint the same crash loses trips (what the checkpoint buys)', () => {
    const lost = (() => {
      const a = new OdMatcher(OPTIONS);
      const half = 250 * Math.floor(input.length / 500);
      a.onSightings(input.slice(0, half));
      const kept = a.onWatermark(input[half - 1].ts);
      const b = new OdMatcher(OPTIONS);
      b.onSightings(input.slice(half));
      return total(clean.cells) - total([...kept, ...b.onWatermark(input[input.length - 1].ts), ...b.flush()]);
    })();
    expect(lost).toBeGreaterThan(0.1 * total(clean.cells));
  });

  it('the key space is bounded and the records hold tokens and site ids, no other identifier', () => {
    expect(clean.records.size).toBeLessThanOrEqual(1 + 256 + 64 + 16);
    const bytes = [...clean.records.values()].join('\n');
    expect(bytes).not.toMatch(/AB-\d{3}-CD|([0-9a-f]{2}:){5}/i);
  });
});

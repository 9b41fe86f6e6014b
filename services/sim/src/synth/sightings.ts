/**
 * Sightings synthesiser: raw identifiers seen by Wi-Fi / BLE sniffers and ANPR cameras, as `RawSighting`s
 * (`sightings.raw.v1`). Only for the tokenizer: these carry MAC addresses and plates in clear.
 *
 * - Wi-Fi / BLE: road users (any mode) with a `device` are seen while within `radiusM` of a site. A pass is
 *   detected with probability `wifiDetect` (55 %) / `bleDetect` (70 %); a detected pass yields one sighting
 *   per probe (Wi-Fi probe interval ~ exponential, mean 15 s; BLE advertising reports, mean 5 s), at least one,
 *   at most 20.
 * - MAC randomisation: `wifiRandomShare` (35 %) of devices rotate their Wi-Fi MAC and `bleRandomShare` (50 %)
 *   their BLE address, each device every 5–15 min (fixed per device, random phase); rotated addresses are
 *   locally administered (bit 0x02 of the first octet). Other devices keep one universal address per radio.
 *   A scenario overrides these (and any other `SightingNoise` field) in `scenario.json` → `synth.sightings`.
 * - ANPR: motor vehicles with a plate passing within `radiusM` are read with probability `anprRead` (90 %);
 *   `anprMisread` (3 %) of reads have one character wrong. The sighting time is the closest approach.
 * Sorted by (ts, siteId, id). Deterministic from the seed.
 */
import type { Mode, RawSighting } from '@passage/stream/contracts';
import { hashUniform, mixSeed, Rng } from '../prng.ts';
import { sitePasses } from '../truth/events.ts';
import type { SimContext } from './scenario.ts';

export interface SightingNoise {
  wifiDetect: number;
  bleDetect: number;
  wifiProbeMeanS: number;
  bleProbeMeanS: number;
  wifiRandomShare: number;
  bleRandomShare: number;
  rotateMinS: number;
  rotateMaxS: number;
  anprRead: number;
  anprMisread: number;
}

export const DEFAULT_SIGHTING_NOISE: SightingNoise = {
  wifiDetect: 0.55,
  bleDetect: 0.7,
  wifiProbeMeanS: 15,
  bleProbeMeanS: 5,
  wifiRandomShare: 0.35,
  bleRandomShare: 0.5,
  rotateMinS: 300,
  rotateMaxS: 900,
  anprRead: 0.9,
  anprMisread: 0.03,
};

export interface SightingSynthOptions {
  seed?: number;
  noise?: Partial<SightingNoise>;
}

export const MOTOR_MODES: ReadonlySet<Mode> = new Set(['motorcycle', 'car', 'van', 'truck', 'bus']);
const MAX_PER_PASS = 20;

function hex2(v: number): string {
  return (v & 0xff).toString(16).padStart(2, '0');
}

/** The MAC a device uses on a radio at time t (seconds from scenario start). */
export function macAt(
  seed: number,
  device: string,
  kind: 'wifi' | 'ble',
  t: number,
  noise: Pick<SightingNoise, 'wifiRandomShare' | 'bleRandomShare' | 'rotateMinS' | 'rotateMaxS'>,
): string {
  const share = kind === 'wifi' ? noise.wifiRandomShare : noise.bleRandomShare;
  const randomises = hashUniform(seed, 30, kind, device) < share;
  let epoch = 0;
  if (randomises) {
    const period = noise.rotateMinS + (noise.rotateMaxS - noise.rotateMinS) * hashUniform(seed, 31, kind, device);
    const phase = period * hashUniform(seed, 32, kind, device);
    epoch = Math.floor((t + phase) / period) + 1;
  }
  // A device's universal address is its `device` field when it is a MAC (the builder writes MACs); BLE uses a
  // different universal address derived from it.
  if (!randomises && kind === 'wifi' && MAC_RE.test(device)) return device.toLowerCase();
  const h1 = mixSeed(seed, 33, kind, device, epoch);
  const h2 = mixSeed(h1, 34);
  // First octet: universal (OUI-like, bit 0x02 clear) or locally administered (bit 0x02 set); unicast (0x01 clear).
  const first = randomises ? ((h1 >>> 24) & 0xfc) | 0x02 : (h1 >>> 24) & 0xfc;
  return [first, h1 >>> 16, h1 >>> 8, h1, h2 >>> 8, h2].map(hex2).join(':');
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

const PLATE_CHARS = 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789';

function misread(plate: string, rng: Rng): string {
  const positions: number[] = [];
  for (let i = 0; i < plate.length; i++) if (plate[i] !== '-' && plate[i] !== ' ') positions.push(i);
  if (positions.length === 0) return plate;
  const i = rng.pick(positions);
  let c = plate[i];
  while (c === plate[i]) c = PLATE_CHARS[rng.int(PLATE_CHARS.length)];
  return plate.slice(0, i) + c + plate.slice(i + 1);
}

/**
 * The sighting noise of a scenario: the defaults, overridden by `scenario.json` → `synth.sightings` (a world whose
 * phones randomise more, for instance), overridden by the caller's.
 */
export function sightingNoiseOf(ctx: SimContext, noise?: Partial<SightingNoise>): SightingNoise {
  const synth = (ctx.scenario as { synth?: { sightings?: Partial<SightingNoise> } }).synth;
  const fromScenario: Partial<SightingNoise> = {};
  for (const k of Object.keys(DEFAULT_SIGHTING_NOISE) as (keyof SightingNoise)[]) {
    const v = synth?.sightings?.[k];
    if (typeof v === 'number' && Number.isFinite(v)) fromScenario[k] = v;
  }
  return { ...DEFAULT_SIGHTING_NOISE, ...fromScenario, ...noise };
}

export function synthesizeSightings(ctx: SimContext, options: SightingSynthOptions = {}): RawSighting[] {
  const noise = sightingNoiseOf(ctx, options.noise);
  const seed = options.seed ?? ctx.scenario.seed;
  const { agents, scenario } = ctx;
  const out: RawSighting[] = [];
  ctx.sites.forEach((site, si) => {
    const kind = site.spec.kind;
    if (kind === 'anpr') {
      const passes = sitePasses(ctx, si, (a) => agents[a].plate !== '' && MOTOR_MODES.has(agents[a].mode));
      for (const p of passes) {
        const rng = Rng.keyed(seed, 40, site.spec.id, p.agent, Math.round(p.tClosest * 10));
        if (!rng.chance(noise.anprRead)) continue;
        const plate = agents[p.agent].plate;
        out.push({
          siteId: site.spec.id,
          ts: scenario.start + Math.round(p.tClosest * 1000),
          kind,
          id: rng.chance(noise.anprMisread) ? misread(plate, rng) : plate,
        });
      }
      return;
    }
    const passes = sitePasses(ctx, si, (a) => agents[a].device !== '');
    const pDetect = kind === 'wifi' ? noise.wifiDetect : noise.bleDetect;
    const mean = kind === 'wifi' ? noise.wifiProbeMeanS : noise.bleProbeMeanS;
    for (const p of passes) {
      const rng = Rng.keyed(seed, 41, site.spec.id, p.agent, Math.round(p.tEnter * 10));
      if (!rng.chance(pDetect)) continue;
      const device = agents[p.agent].device;
      const times: number[] = [];
      for (let t = p.tEnter + rng.exponential(mean); t <= p.tExit && times.length < MAX_PER_PASS; ) {
        times.push(t);
        t += rng.exponential(mean);
      }
      if (times.length === 0) times.push(rng.uniform(p.tEnter, p.tExit + 1e-6));
      for (const t of times) {
        out.push({
          siteId: site.spec.id,
          ts: scenario.start + Math.round(t * 1000),
          kind,
          id: macAt(seed, device, kind, t, noise),
        });
      }
    }
  });
  out.sort((p, q) => p.ts - q.ts || cmp(p.siteId, q.siteId) || cmp(p.id, q.id));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

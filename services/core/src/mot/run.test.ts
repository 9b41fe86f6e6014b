import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evalMot } from './evaluate.ts';
import { parseMot } from './parse.ts';
import { scoreMappingFor, trackMot, trackMotFile } from './run.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/TUD-Campus/${name}`, import.meta.url), 'utf8');

describe('trackMot on TUD-Campus (public SORT detections, 25 fps)', () => {
  const result = trackMotFile(fixture('det.txt'), { fps: 25 });
  const metrics = evalMot(fixture('gt.txt'), result.text);

  it('reaches MOTA ≥ 0.55 and IDF1 ≥ 0.60 with default parameters', () => {
    expect(metrics.mota).toBeGreaterThanOrEqual(0.55);
    expect(metrics.idf1).toBeGreaterThanOrEqual(0.6);
    // Pinned current values (any change to the tracker should be a conscious one).
    expect(metrics.mota).toBeCloseTo(0.624, 3);
    expect(metrics.idf1).toBeCloseTo(0.695, 3);
    expect(metrics.numSwitches).toBe(3);
  });

  it('processes every frame and keeps detector scores as they are (already in [0, 1])', () => {
    expect(result.frames).toBe(71);
    expect(result.detections).toBe(321);
    expect(result.scoreMapping.kind).toBe('identity');
    const hyp = parseMot(result.text);
    expect(hyp.n).toBeGreaterThan(250);
    expect(new Set(hyp.id).size).toBe(result.tracks);
  });

  it('is deterministic', () => {
    expect(trackMot(fixture('det.txt'), { fps: 25 })).toBe(result.text);
  });
});

describe('score normalisation', () => {
  it('keeps [0, 1] scores and min–max normalises other scales', () => {
    expect(scoreMappingFor([0.2, 0.9]).kind).toBe('identity');
    expect(scoreMappingFor([-1.5, 2.5])).toEqual({ kind: 'minmax', min: -1.5, max: 2.5 });
  });

  it('tracks a detector on a 0–100 scale like the same boxes on 0–1', () => {
    const det = fixture('det.txt');
    const scaled = det
      .trim()
      .split('\n')
      .map((l) => {
        const f = l.split(',');
        f[6] = String(Number(f[6]) * 100);
        return f.join(',');
      })
      .join('\n');
    const r = trackMotFile(scaled, { fps: 25 });
    expect(r.scoreMapping.kind).toBe('minmax');
    expect(evalMot(fixture('gt.txt'), r.text).mota).toBeGreaterThanOrEqual(0.55);
  });

  it('returns an empty hypothesis for an empty detection file', () => {
    expect(trackMotFile('', { fps: 25 })).toMatchObject({ text: '', frames: 0, tracks: 0 });
  });
});

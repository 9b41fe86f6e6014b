import { describe, expect, it } from 'vitest';
import { replayRecords } from './replay.ts';
import { makeMiniCity, miniCityContext } from './synth/fixtures/mini-city.ts';

const ctx = miniCityContext(makeMiniCity());
const frames = (edge?: { skipEmptyFrames?: boolean; dropShare?: number }) =>
  [...replayRecords(ctx, { topics: ['detections'], edge })].map(
    (r) => r.value as { cameraId: string; ts: number; objects: unknown[] },
  );

describe('replay: what-ifs of the cameras edge devices', () => {
  const all = frames();

  it('--edge-skip-empty sends exactly the frames with boxes', () => {
    const withBoxes = all.filter((f) => f.objects.length > 0);
    expect(withBoxes.length).toBeGreaterThan(0);
    expect(withBoxes.length).toBeLessThan(all.length);
    expect(frames({ skipEmptyFrames: true }).map((f) => f.ts)).toEqual(withBoxes.map((f) => f.ts));
  });

  it('--edge-drop 0.3 loses about 30 % of the frames, the same ones on every run, and keeps the rest as they were', () => {
    const kept = frames({ dropShare: 0.3 });
    const share = 1 - kept.length / all.length;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(frames({ dropShare: 0.3 }).map((f) => f.ts)).toEqual(kept.map((f) => f.ts));
    const byKey = new Map(all.map((f) => [`${f.cameraId}@${f.ts}`, f]));
    for (const f of kept) expect(f).toEqual(byKey.get(`${f.cameraId}@${f.ts}`));
  });
});

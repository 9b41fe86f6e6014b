import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { fastCheckFor, jsonCodec } from './codec.ts';
import { DetectionFrame } from './contracts.ts';

const valid = {
  cameraId: 'cam-parvis',
  ts: 1773124218100,
  frame: 181,
  width: 1920,
  height: 1080,
  objects: [
    { bbox: [624.4, 593.5, 32.1, 71.5], cls: 'person', score: 0.841 },
    { bbox: [10, 20, 0, 0], cls: 'car', score: 1, edgeTrackId: 7, plate: 'AB-123-CD', emb: [0.1, -2] },
    { bbox: [-5, -6, 3, 4], cls: 'bicycle', score: 0, edgeTrackId: 'e-1' },
  ],
};
type Frame = typeof valid & Record<string, unknown>;
type Obj = Record<string, unknown>;

/** One broken (or edge-case) variant per schema rule. */
const variants: ((f: Frame) => void)[] = [
  () => {},
  (f) => void (f.cameraId = ''),
  (f) => void (f.cameraId = 'x'.repeat(128)),
  (f) => void (f.cameraId = 'x'.repeat(129)),
  (f) => void (f.cameraId = '😀'.repeat(65)),
  (f) => void ((f as Obj).cameraId = 3),
  (f) => void (f.ts = -1),
  (f) => void ((f as Obj).ts = '1'),
  (f) => void delete (f as Obj).ts,
  (f) => void (f.extra = 1),
  (f) => void (f.frame = 1.5),
  (f) => void (f.frame = -1),
  (f) => void delete (f as Obj).frame,
  (f) => void (f.width = 0),
  (f) => void (f.height = 0.5),
  (f) => void ((f as Obj).objects = {}),
  (f) => void ((f as Obj).objects = [null]),
  (f) => void ((f as Obj).objects = [[]]),
  (f) => void ((f as Obj).objects = [1]),
  (f) => void (f.objects = []),
  (f) => void (f.objects = Array.from({ length: 4096 }, () => valid.objects[0])),
  (f) => void (f.objects = Array.from({ length: 4097 }, () => valid.objects[0])),
  (f) => void ((f.objects[0] as Obj).bbox = [1, 2, 3]),
  (f) => void ((f.objects[0] as Obj).bbox = [1, 2, 3, 4, 5]),
  (f) => void ((f.objects[0] as Obj).bbox = [1, 2, -3, 4]),
  (f) => void ((f.objects[0] as Obj).bbox = [1, 2, 3, -0.1]),
  (f) => void ((f.objects[0] as Obj).bbox = ['1', 2, 3, 4]),
  (f) => void ((f.objects[0] as Obj).bbox = { 0: 1, 1: 2, 2: 3, 3: 4, length: 4 }),
  (f) => void ((f.objects[0] as Obj).cls = ''),
  (f) => void ((f.objects[0] as Obj).cls = 'c'.repeat(64)),
  (f) => void ((f.objects[0] as Obj).cls = 'c'.repeat(65)),
  (f) => void ((f.objects[0] as Obj).cls = 5),
  (f) => void ((f.objects[0] as Obj).score = 1.01),
  (f) => void ((f.objects[0] as Obj).score = '0.5'),
  (f) => void delete (f.objects[0] as Obj).score,
  (f) => void ((f.objects[0] as Obj).edgeTrackId = 'e'.repeat(129)),
  (f) => void ((f.objects[0] as Obj).edgeTrackId = null),
  (f) => void ((f.objects[0] as Obj).edgeTrackId = true),
  (f) => void ((f.objects[0] as Obj).plate = 'p'.repeat(33)),
  (f) => void ((f.objects[0] as Obj).plate = 1),
  (f) => void ((f.objects[0] as Obj).emb = [1, '2']),
  (f) => void ((f.objects[0] as Obj).emb = new Array(2049).fill(0)),
  (f) => void ((f.objects[0] as Obj).emb = {}),
  (f) => void ((f.objects[2] as Obj).zzz = 1),
];

describe('jsonCodec(DetectionFrame)', () => {
  const fast = fastCheckFor(DetectionFrame);
  const slow = TypeCompiler.Compile(DetectionFrame);
  const codec = jsonCodec(DetectionFrame);

  it('has a hand-written check that never accepts what the schema rejects', () => {
    expect(fast).toBeDefined();
    let accepted = 0;
    for (const v of variants) {
      const f = structuredClone(valid) as Frame;
      v(f);
      const parsed = JSON.parse(JSON.stringify(f));
      const ok = slow.Check(parsed);
      if (fast?.(parsed)) accepted++;
      expect(fast?.(parsed), JSON.stringify(f).slice(0, 160)).toBe(ok);
    }
    expect(accepted).toBe(6);
    for (const x of [null, 1, 'x', [], {}, JSON.parse('{"cameraId":"a","ts":1,"objects":[],"__proto__":{}}')]) {
      expect(fast?.(x)).toBe(false);
      expect(slow.Check(x)).toBe(false);
    }
  });

  it('decodes and rejects with the same reason codes and messages', () => {
    expect(codec.decode(Buffer.from(JSON.stringify(valid)))).toEqual({ ok: true, value: valid });
    expect(codec.decode(new Uint8Array(Buffer.from(JSON.stringify({ ...valid, v: 1 }))))).toEqual({
      ok: true,
      value: valid,
    });
    expect(codec.decode(Buffer.from(JSON.stringify(valid)).subarray(0, 20))).toMatchObject({ reason: 'BAD_JSON' });
    expect(codec.decode(null)).toMatchObject({ reason: 'EMPTY' });
    expect(codec.decode(JSON.stringify({ ...valid, v: 2 }))).toMatchObject({ reason: 'UNKNOWN_VERSION' });
    const bad = structuredClone(valid) as Frame;
    (bad.objects[1] as Obj).score = 2;
    expect(codec.decode(JSON.stringify(bad))).toEqual({
      ok: false,
      reason: 'SCHEMA',
      detail: '/objects/1/score: Expected number to be less or equal to 1',
    });
  });
});

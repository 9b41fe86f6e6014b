import { readFileSync } from 'node:fs';
import { DetectionFrame } from '@passage/stream/contracts';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { FrameGrouper, parseDeepStream, parseDeepStreamFull, parseDeepStreamMinimal } from './deepstream.ts';
import { parseDetectionFrame } from './generic.ts';
import { parseMotChallenge } from './mot.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const FULL = fixture('deepstream-full-test4.json');
const MIN_AZURE = fixture('deepstream-minimal-test4-azure.json');
const MIN_NV = fixture('deepstream-minimal-nvmsgconv-example.json');

// biome-ignore lint/suspicious/noExplicitAny: test variants poke at arbitrary payload fields
type Msg = Record<string, any>;

function reasonOf(r: { ok: boolean; reason?: string }): string | undefined {
  return r.ok ? undefined : r.reason;
}

describe('DeepStream full schema', () => {
  it('parses the real deepstream-test4 message', () => {
    const r = parseDeepStreamFull(FULL);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.sensorId).toBe('CAMERA_ID');
    expect(r.value.ts).toBe(Date.UTC(2021, 2, 31, 20, 11, 7, 742));
    // bbox 597,481 → 711,569 as [x, y, w, h]
    expect(r.value.object.bbox).toEqual([597, 481, 114, 88]);
    expect(r.value.object.cls).toBe('car'); // vehicle.type "sedan"
    expect(r.value.object.score).toBe(1); // confidence -0.1 = not given
    expect(r.value.object.edgeTrackId).toBeUndefined(); // id "-1" = untracked
    expect(JSON.stringify(r.value)).not.toContain('XX1234'); // the plate is not carried over
  });

  it('accepts bytes, the person key and the frame-meta (label key) variant', () => {
    const bytes = new TextEncoder().encode(FULL);
    expect(parseDeepStreamFull(bytes).ok).toBe(true);
    const m = JSON.parse(FULL);
    m.object.id = '42';
    delete m.object.vehicle;
    m.object.person = { age: 45, gender: 'male', hair: 'black', cap: 'none', apparel: 'formal', confidence: 0.9 };
    const p = parseDeepStreamFull(m);
    expect(p.ok && p.value.object).toEqual({ bbox: [597, 481, 114, 88], cls: 'person', score: 0.9, edgeTrackId: 42 });
    delete m.object.person;
    m.object.Bicycle = { confidence: 0.7 };
    const b = parseDeepStreamFull(m);
    expect(b.ok && [b.value.object.cls, b.value.object.score]).toEqual(['bicycle', 0.7]);
  });

  const variants: [string, (m: Msg) => unknown, string][] = [
    ['not JSON', () => '{"messageid": ', 'PASSAGE_DETECTIONS_BAD_JSON'],
    ['array root', () => [], 'PASSAGE_DETECTIONS_SCHEMA'],
    ['missing sensor', (m) => ({ ...m, sensor: undefined }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['empty sensor id', (m) => ({ ...m, sensor: { ...m.sensor, id: '' } }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['missing object', (m) => ({ ...m, object: undefined }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['missing bbox', (m) => ({ ...m, object: { ...m.object, bbox: undefined } }), 'PASSAGE_DETECTIONS_SCHEMA'],
    [
      'string coordinate',
      (m) => ({ ...m, object: { ...m.object, bbox: { ...m.object.bbox, topleftx: '597' } } }),
      'PASSAGE_DETECTIONS_SCHEMA',
    ],
    [
      'inverted box',
      (m) => ({ ...m, object: { ...m.object, bbox: { ...m.object.bbox, bottomrightx: 500 } } }),
      'PASSAGE_DETECTIONS_BAD_BBOX',
    ],
    [
      'zero-height box',
      (m) => ({ ...m, object: { ...m.object, bbox: { ...m.object.bbox, bottomrighty: 481 } } }),
      'PASSAGE_DETECTIONS_BAD_BBOX',
    ],
    ['no timestamp', (m) => ({ ...m, '@timestamp': undefined }), 'PASSAGE_DETECTIONS_BAD_TIMESTAMP'],
    ['local time', (m) => ({ ...m, '@timestamp': '2021-03-31T20:11:07.742' }), 'PASSAGE_DETECTIONS_BAD_TIMESTAMP'],
    ['unknown version', (m) => ({ ...m, mdsversion: '2.0' }), 'PASSAGE_DETECTIONS_UNKNOWN_VERSION'],
    ['too large', (m) => JSON.stringify({ ...m, videoPath: 'x'.repeat(1 << 20) }), 'PASSAGE_DETECTIONS_TOO_LARGE'],
  ];
  it.each(variants)('malformed: %s', (_name, make, reason) => {
    const r = parseDeepStreamFull(make(JSON.parse(FULL)));
    expect(reasonOf(r)).toBe(reason);
    if (!r.ok) expect(r.detail).not.toMatch(/CAMERA_ID|XX1234|597/);
  });
});

describe('DeepStream minimal schema', () => {
  it('parses the real deepstream-test4 minimal message', () => {
    const r = parseDeepStreamMinimal(MIN_AZURE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      cameraId: 'sensor-0',
      ts: Date.UTC(2021, 8, 21, 3, 8, 51, 161),
      frame: 1440,
      objects: [{ bbox: [570, 478.37, 39, expect.closeTo(29.347, 9)], cls: 'car', score: 1 }],
    });
    expect(Value.Check(DetectionFrame, r.value)).toBe(true);
  });

  it('parses the nvmsgconv example with a tracking id and a confidence', () => {
    const r = parseDeepStreamMinimal(MIN_NV);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.frame).toBeUndefined(); // id "frame-id" is not a number
    expect(r.value.objects).toEqual([{ bbox: [1834, 150, 84, 65], cls: 'car', score: 0.8, edgeTrackId: 957 }]);
  });

  it('keeps several objects, dsmeta labels and untracked ids', () => {
    const m = JSON.parse(MIN_AZURE);
    m.objects = ['3|10|20|30|60|person', '18446744073709551615|5|5|25|15|car|#|0.75', '-1|0|0|1|1|Bicycle'];
    const r = parseDeepStreamMinimal(m);
    expect(r.ok && r.value.objects).toEqual([
      { bbox: [10, 20, 20, 40], cls: 'person', score: 1, edgeTrackId: 3 },
      { bbox: [5, 5, 20, 10], cls: 'car', score: 0.75, edgeTrackId: '18446744073709551615' },
      { bbox: [0, 0, 1, 1], cls: 'bicycle', score: 1 },
    ]);
  });

  const variants: [string, (m: Msg) => unknown, string][] = [
    ['truncated JSON', () => MIN_AZURE.slice(0, 40), 'PASSAGE_DETECTIONS_BAD_JSON'],
    ['invalid UTF-8', () => Uint8Array.of(0x7b, 0xff, 0x7d), 'PASSAGE_DETECTIONS_BAD_JSON'],
    ['no version', (m) => ({ ...m, version: undefined }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['version 5', (m) => ({ ...m, version: '5.0' }), 'PASSAGE_DETECTIONS_UNKNOWN_VERSION'],
    ['bad timestamp', (m) => ({ ...m, '@timestamp': 'yesterday' }), 'PASSAGE_DETECTIONS_BAD_TIMESTAMP'],
    ['no sensor', (m) => ({ ...m, sensorId: undefined }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['objects not an array', (m) => ({ ...m, objects: 'x' }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['object not a string', (m) => ({ ...m, objects: [{}] }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['too few fields', (m) => ({ ...m, objects: ['1|2|3|4|5'] }), 'PASSAGE_DETECTIONS_SCHEMA'],
    ['non-numeric coordinate', (m) => ({ ...m, objects: ['1|a|3|40|50|car'] }), 'PASSAGE_DETECTIONS_BAD_BBOX'],
    ['empty coordinate', (m) => ({ ...m, objects: ['1||3|40|50|car'] }), 'PASSAGE_DETECTIONS_BAD_BBOX'],
    ['right < left', (m) => ({ ...m, objects: ['1|50|3|40|50|car'] }), 'PASSAGE_DETECTIONS_BAD_BBOX'],
    ['4097 objects', (m) => ({ ...m, objects: new Array(4097).fill('1|0|0|1|1|car') }), 'PASSAGE_DETECTIONS_TOO_LARGE'],
  ];
  it.each(variants)('malformed: %s', (_name, make, reason) => {
    expect(reasonOf(parseDeepStreamMinimal(make(JSON.parse(MIN_AZURE))))).toBe(reason);
  });

  it('parseDeepStream tells the schemas apart', () => {
    const a = parseDeepStream(MIN_AZURE);
    const b = parseDeepStream(FULL);
    expect(a.ok && a.value.kind).toBe('frame');
    expect(b.ok && b.value.kind).toBe('object');
    expect(reasonOf(parseDeepStream('{"hello": 1}'))).toBe('PASSAGE_DETECTIONS_SCHEMA');
  });
});

describe('FrameGrouper', () => {
  const base = JSON.parse(FULL);
  const msg = (ts: string, id: string, x: number, sensor = 'CAMERA_ID') => {
    const m = structuredClone(base);
    m['@timestamp'] = ts;
    m.object.id = id;
    m.sensor.id = sensor;
    m.object.bbox.topleftx = x;
    m.object.bbox.bottomrightx = x + 10;
    const r = parseDeepStreamFull(m);
    if (!r.ok) throw new Error(r.detail);
    return r.value;
  };

  it('groups by (sensor, timestamp), flushes on a later timestamp and after the max delay', () => {
    const g = new FrameGrouper({ maxDelayMs: 100 });
    expect(g.push(msg('2021-03-31T20:11:07.742Z', '1', 10), 0)).toEqual([]);
    expect(g.push(msg('2021-03-31T20:11:07.742Z', '2', 20), 1)).toEqual([]);
    expect(g.push(msg('2021-03-31T20:11:07.742Z', '5', 30, 'CAM2'), 2)).toEqual([]);
    const f1 = g.push(msg('2021-03-31T20:11:07.775Z', '1', 11), 3);
    expect(f1).toHaveLength(1);
    expect(f1[0].cameraId).toBe('CAMERA_ID');
    expect(f1[0].ts).toBe(Date.UTC(2021, 2, 31, 20, 11, 7, 742));
    expect(f1[0].objects.map((o) => o.edgeTrackId)).toEqual([1, 2]);
    expect(f1[0].objects[1].bbox).toEqual([20, 481, 10, 88]);
    expect(Value.Check(DetectionFrame, f1[0])).toBe(true);
    // a late message for the emitted frame is dropped and counted
    expect(g.push(msg('2021-03-31T20:11:07.742Z', '3', 40), 4)).toEqual([]);
    expect(g.late).toBe(1);
    // CAM2 (first arrival 2) and CAMERA_ID .775 (first arrival 3) flush by delay
    expect(g.poll(101)).toEqual([]);
    expect(g.poll(102).map((f) => f.cameraId)).toEqual(['CAM2']);
    expect(g.poll(103).map((f) => f.cameraId)).toEqual(['CAMERA_ID']);
    expect(g.pendingFrames).toBe(0);
  });

  it('splits a frame when an edge track id repeats (timestamp tolerance)', () => {
    const g = new FrameGrouper({ tsToleranceMs: 5 });
    g.push(msg('2021-03-31T20:11:07.742Z', '1', 10), 0);
    g.push(msg('2021-03-31T20:11:07.744Z', '2', 20), 0); // same frame within 5 ms
    const f = g.push(msg('2021-03-31T20:11:07.745Z', '1', 11), 0); // id 1 again: new frame
    expect(f).toHaveLength(1);
    expect(f[0].objects).toHaveLength(2);
    expect(g.push(msg('2021-03-31T20:11:07.745Z', '2', 21), 0)).toEqual([]); // joins the new frame
    expect(g.flushAll()[0].objects).toHaveLength(2);
    expect(g.late).toBe(0);
  });
});

describe('generic JSON frames', () => {
  const good = {
    cameraId: 'cam-1',
    ts: 1_700_000_000_000,
    frame: 3,
    width: 1920,
    height: 1080,
    objects: [{ bbox: [10, 20, 30, 40], cls: 'car', score: 0.9, edgeTrackId: 7 }],
  };

  it('accepts a valid frame from text, bytes or a value', () => {
    for (const input of [JSON.stringify(good), new TextEncoder().encode(JSON.stringify(good)), good]) {
      const r = parseDetectionFrame(input);
      expect(r.ok && r.value).toEqual(good);
    }
  });

  const variants: [string, unknown, string, RegExp?][] = [
    ['bad JSON', '{"cameraId":', 'PASSAGE_DETECTIONS_BAD_JSON'],
    ['missing ts', { ...good, ts: undefined }, 'PASSAGE_DETECTIONS_SCHEMA', /^\/ts/],
    ['negative ts', { ...good, ts: -1 }, 'PASSAGE_DETECTIONS_SCHEMA', /^\/ts/],
    ['extra field', { ...good, speed: 3 }, 'PASSAGE_DETECTIONS_SCHEMA'],
    [
      'score > 1',
      { ...good, objects: [{ ...good.objects[0], score: 1.5 }] },
      'PASSAGE_DETECTIONS_SCHEMA',
      /^\/objects\/0\/score/,
    ],
    [
      'bbox of 3',
      { ...good, objects: [{ ...good.objects[0], bbox: [1, 2, 3] }] },
      'PASSAGE_DETECTIONS_SCHEMA',
      /^\/objects\/0\/bbox/,
    ],
    [
      'negative width',
      { ...good, objects: [{ ...good.objects[0], bbox: [1, 2, -3, 4] }] },
      'PASSAGE_DETECTIONS_SCHEMA',
    ],
    [
      'zero-area box',
      { ...good, objects: [{ ...good.objects[0], bbox: [1, 2, 0, 4] }] },
      'PASSAGE_DETECTIONS_BAD_BBOX',
    ],
    ['4097 objects', { ...good, objects: new Array(4097).fill(good.objects[0]) }, 'PASSAGE_DETECTIONS_TOO_LARGE'],
    ['2 MiB text', JSON.stringify({ ...good, cameraId: 'x'.repeat(2 << 20) }), 'PASSAGE_DETECTIONS_TOO_LARGE'],
  ];
  it.each(variants)('malformed: %s', (_name, input, reason, detail) => {
    const r = parseDetectionFrame(input);
    expect(reasonOf(r)).toBe(reason);
    if (detail && !r.ok) expect(r.detail).toMatch(detail);
  });
});

describe('MOTChallenge', () => {
  it('turns the TUD-Campus detections into 25 fps frames', () => {
    const r = parseMotChallenge(fixture('mot-tud-campus-head.txt'), {
      cameraId: 'tud-campus',
      fps: 25,
      startTs: 1_000_000,
      width: 640,
      height: 480,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((f) => [f.frame, f.ts, f.objects.length])).toEqual([
      [1, 1_000_000, 6],
      [2, 1_000_040, 6],
      [3, 1_000_080, 6],
    ]);
    expect(r.value[0].objects[0]).toEqual({ bbox: [281.931, 187.466, 79.93, 209.537], cls: 'person', score: 0.997784 });
    for (const f of r.value) expect(Value.Check(DetectionFrame, f)).toBe(true);
  });

  it('keeps ground-truth ids as edge track ids and fills empty frames', () => {
    const gt = `${fixture('mot-tud-campus-gt-head.txt')}4,1,399,180,140,236,1,-1,-1,-1\n5,9,1,1,5,5,0,-1,-1,-1\n`;
    const r = parseMotChallenge(gt, { cameraId: 'tud', fps: 25, groundTruth: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((f) => f.objects.length)).toEqual([6, 6, 0, 1, 0]); // row with flag 0 is ignored
    expect(r.value[0].objects.map((o) => o.edgeTrackId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each([
    ['too few columns', '1,2,3,4,5', 'PASSAGE_DETECTIONS_SCHEMA', /^line 1/],
    ['frame 0', '0,-1,1,2,3,4,0.5', 'PASSAGE_DETECTIONS_SCHEMA', /^line 1/],
    ['zero width', '1,-1,1,2,0,4,0.5', 'PASSAGE_DETECTIONS_BAD_BBOX', /^line 1/],
    ['text in a number', '1,-1,1,2,3,4,0.5\n\n2,-1,x,2,3,4,0.5', 'PASSAGE_DETECTIONS_BAD_BBOX', /^line 3/],
  ])('malformed: %s', (_n, text, reason, where) => {
    const r = parseMotChallenge(text, { cameraId: 'c', fps: 25 });
    expect(reasonOf(r)).toBe(reason);
    if (!r.ok) expect(r.detail).toMatch(where);
  });
});

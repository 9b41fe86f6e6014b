import { describe, expect, it } from 'vitest';
import { ByteTracker, type TrackerBox } from './byte-tracker.ts';
import { maxLostFrames, resolveByteTrackerOptions, TrackerConfigError } from './options.ts';

const box = (x: number, y: number, score = 0.9, cls = 'person', w = 40, h = 100): TrackerBox => ({
  bbox: [x, y, w, h],
  score,
  cls,
});

/** Ids reported in a frame. */
const ids = (t: ByteTracker, ts: number, boxes: TrackerBox[]): number[] => {
  const out = t.update(ts, boxes);
  return Array.from(out.ids.subarray(0, out.count));
};

describe('ByteTracker', () => {
  it('confirms a track on its second hit (or at once in the first frame) and reports box and foot point', () => {
    const t = new ByteTracker({ fps: 25 });
    t.update(0, []); // not the first frame any more
    expect(t.update(40, [box(100, 50)]).count).toBe(0);
    const out = t.update(80, [box(102, 50)]);
    expect(out.count).toBe(1);
    expect(out.ids[0]).toBe(1);
    expect(out.detIndex[0]).toBe(0);
    expect(out.boxes[2]).toBeCloseTo(40, 0);
    expect(out.feet[0]).toBeCloseTo(out.boxes[0] + out.boxes[2] / 2, 9);
    expect(out.feet[1]).toBeCloseTo(out.boxes[1] + out.boxes[3], 9);
    expect(t.className(out.classes[0])).toBe('person');

    const first = new ByteTracker();
    expect(first.update(0, [box(0, 0)]).count).toBe(1);
  });

  it('keeps ids through a 3-frame miss', () => {
    const t = new ByteTracker({ fps: 30 });
    let a: number[] = [];
    for (let f = 0; f < 10; f++) a = ids(t, f, [box(100 + 5 * f, 50), box(400 - 5 * f, 60)]);
    expect(a).toEqual([1, 2]);
    // Object 2 missed for 3 frames while both keep moving.
    for (let f = 10; f < 13; f++) expect(ids(t, f, [box(100 + 5 * f, 50)])).toEqual([1]);
    expect(ids(t, 13, [box(100 + 5 * 13, 50), box(400 - 5 * 13, 60)]).sort()).toEqual([1, 2]);
    expect(t.size).toBe(2);
  });

  it('recovers a track from a low-score box in the second association', () => {
    const t = new ByteTracker();
    for (let f = 0; f < 5; f++) ids(t, f, [box(100 + 3 * f, 50)]);
    // Occlusion: the detector only gives 0.3 (< trackHigh 0.6, ≥ trackLow 0.1).
    const out = t.update(5, [box(115, 50, 0.3)]);
    expect(out.count).toBe(1);
    expect(out.ids[0]).toBe(1);
    expect(out.scores[0]).toBeCloseTo(0.3, 6);
    // The same box with the second stage disabled (trackLow above it) loses the track for the frame.
    const u = new ByteTracker({ trackLow: 0.5 });
    for (let f = 0; f < 5; f++) ids(u, f, [box(100 + 3 * f, 50)]);
    expect(u.update(5, [box(115, 50, 0.3)]).count).toBe(0);
  });

  it('never starts a track from low-score boxes', () => {
    const t = new ByteTracker();
    for (let f = 0; f < 10; f++) expect(ids(t, f, [box(100, 100, 0.4)])).toEqual([]);
    expect(t.size).toBe(0);
    // Above trackHigh but below newTrackThresh (0.7): no birth either.
    for (let f = 10; f < 15; f++) expect(ids(t, f, [box(300, 100, 0.65)])).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('drops a newborn track that is not confirmed the next frame', () => {
    const t = new ByteTracker();
    t.update(0, []);
    t.update(1, [box(100, 100)]);
    expect(t.size).toBe(1);
    t.update(2, []);
    expect(t.size).toBe(0);
    expect(t.update(3, []).finished).toEqual([]);
  });

  it('ends a lost track after round(fps/30 × trackBuffer) frames with its summary', () => {
    const t = new ByteTracker({ fps: 15, trackBuffer: 30 });
    expect(t.maxLost).toBe(15);
    expect(maxLostFrames({ fps: 25, trackBuffer: 30 })).toBe(25);
    for (let f = 0; f < 6; f++) {
      t.update(f * 100, [box(100 + 10 * f, 50, 0.9, f === 2 ? 'bicycle' : 'person', 40 + f, 100)]);
    }
    let finished: ReturnType<ByteTracker['update']>['finished'] = [];
    let at = -1;
    for (let f = 6; f < 40 && at < 0; f++) {
      finished = t.update(f * 100, []).finished;
      if (finished.length > 0) at = f;
    }
    expect(at).toBe(5 + 15 + 1);
    expect(finished).toHaveLength(1);
    const s = finished[0];
    expect(s).toMatchObject({ id: 1, reason: 'lost', firstTs: 0, lastTs: 500, frames: 6, cls: 'person' });
    expect(s.classVotes).toEqual({ person: 5, bicycle: 1 });
    expect(s.meanW).toBeCloseTo(42.5, 9);
    expect(s.meanH).toBeCloseTo(100, 9);
    expect(s.firstFoot[0]).toBeCloseTo(120, 6);
    expect(s.firstFoot[1]).toBeCloseTo(150, 6);
    expect(s.lastFoot[0]).toBeGreaterThan(160);
    expect(s.pathLength).toBeGreaterThan(40);
    expect(s.path.length).toBeGreaterThanOrEqual(4);
    expect(s.path.slice(0, 2)).toEqual([...s.firstFoot]);
    expect(s.path.slice(-2)).toEqual([...s.lastFoot]);
    expect(t.size).toBe(0);
  });

  it('thins the foot-point history to at most historyMaxPoints', () => {
    const t = new ByteTracker({ historyMaxPoints: 8, historyMinStep: 0 });
    for (let f = 0; f < 50; f++) t.update(f, [box(10 + 3 * f, 50)]);
    const [s] = t.flush();
    expect(s.reason).toBe('flush');
    expect(s.frames).toBe(50);
    expect(s.path.length / 2).toBeLessThanOrEqual(9); // 8 kept + the final point
    expect(s.path[0]).toBeCloseTo(30, 6);
  });

  it('gives the same tracks through updateColumns as through update', () => {
    const a = new ByteTracker();
    const b = new ByteTracker();
    const person = b.classIndex('person');
    for (let f = 0; f < 20; f++) {
      const boxes = [box(10 + 4 * f, 20), box(300 - 2 * f, 40, f % 3 === 0 ? 0.3 : 0.9)];
      const oa = a.update(f, boxes);
      const xywh = boxes.flatMap((x) => Array.from(x.bbox));
      const ob = b.updateColumns(f, { count: 2, xywh, score: boxes.map((x) => x.score), cls: [person, person] });
      expect(Array.from(ob.ids.subarray(0, ob.count))).toEqual(Array.from(oa.ids.subarray(0, oa.count)));
      expect(Array.from(ob.boxes.subarray(0, 4 * ob.count))).toEqual(Array.from(oa.boxes.subarray(0, 4 * oa.count)));
    }
  });

  it('grows past its initial capacity', () => {
    const t = new ByteTracker();
    const many = Array.from({ length: 100 }, (_, i) =>
      box((i % 10) * 60, Math.floor(i / 10) * 120, 0.9, 'car', 50, 100),
    );
    expect(t.update(0, many).count).toBe(100);
    expect(t.update(1, many).count).toBe(100);
  });

  it('rejects inconsistent options with a stable code', () => {
    expect(() => new ByteTracker({ trackHigh: 0.3, trackLow: 0.5 })).toThrow(TrackerConfigError);
    expect(() => new ByteTracker({ fps: 0 })).toThrow(/fps/);
    try {
      new ByteTracker({ trackHigh: 60 });
    } catch (e) {
      expect((e as TrackerConfigError).code).toBe('PASSAGE_TRACKER_CONFIG');
    }
  });

  describe('tentative births from weak boxes (lowBirthHits)', () => {
    // Defaults: trackHigh 0.6, new tracks from 0.7; weak births from 0.5 × 0.7 = 0.35.
    const walk = (t: ByteTracker, frames: number, score: number, extra: (f: number) => TrackerBox[] = () => []) => {
      const seen: number[][] = [];
      t.update(0, []);
      for (let f = 1; f <= frames; f++) seen.push(ids(t, f * 100, [box(100 + 4 * f, 50, score), ...extra(f)]));
      return seen;
    };

    it('off (ByteTrack): a road user scoring 0.45 all along never gets a track', () => {
      expect(walk(new ByteTracker({ fps: 10 }), 8, 0.45).flat()).toEqual([]);
    });

    it('on: confirmed at its second box, reported from then on, one id', () => {
      const seen = walk(new ByteTracker({ fps: 10, lowBirthHits: 2 }), 8, 0.45);
      expect(seen[0]).toEqual([]);
      expect(seen.slice(1)).toEqual(Array.from({ length: 7 }, () => [1]));
    });

    it('a weak box for one frame only, or below the weak-birth score, starts nothing', () => {
      const t = new ByteTracker({ fps: 10, lowBirthHits: 2 });
      t.update(0, []);
      expect(ids(t, 100, [box(300, 50, 0.45)])).toEqual([]);
      expect(ids(t, 200, [])).toEqual([]);
      expect(ids(t, 300, [box(300, 50, 0.45)])).toEqual([]);
      expect(walk(new ByteTracker({ fps: 10, lowBirthHits: 2 }), 8, 0.3).flat()).toEqual([]);
    });

    it('a weak second box on a tracked road user is not a road user of its own', () => {
      // A confident walker plus a weak duplicate box slightly offset on it (IoU ≈ 0.8) every frame.
      const seen = walk(new ByteTracker({ fps: 10, lowBirthHits: 2 }), 8, 0.9, (f) => [box(104 + 4 * f, 52, 0.45)]);
      expect(new Set(seen.flat())).toEqual(new Set([1]));
    });

    it('rejects an invalid setting', () => {
      expect(() => new ByteTracker({ lowBirthHits: 1.5 })).toThrow(TrackerConfigError);
      expect(() => new ByteTracker({ lowBirthScore: 0 })).toThrow(TrackerConfigError);
      expect(() => new ByteTracker({ tentativeMatchThresh: 0 })).toThrow(/tentativeMatchThresh/);
      expect(() => new ByteTracker({ tentativeMatchThresh: 1.2 })).toThrow(TrackerConfigError);
    });

    it('tentativeMatchThresh: a weak box 20 px on from a 50 px one (IoU 0.43) confirms the tentative track only at 0.7', () => {
      // IoU of two 50 × 50 boxes 20 px apart: 30 × 50 / (2 × 2 500 − 1 500) = 1 500 / 3 500 = 0.4286, cost 0.571: above
      // lowMatchThresh 0.5 (the default, ByteTrack's second association), below 0.7. A newborn track is predicted
      // where it was born (no velocity yet), so the second box is matched against the first.
      const weak = (x: number): TrackerBox => ({ bbox: [x, 100, 50, 50], score: 0.45, cls: 'motorcycle' });
      const ride = (o: ConstructorParameters<typeof ByteTracker>[0]): number[][] => {
        const t = new ByteTracker({ fps: 5, lowBirthHits: 2, ...o });
        t.update(0, []);
        return [ids(t, 200, [weak(100)]), ids(t, 400, [weak(120)])];
      };
      // Default: each weak box starts a tentative track of its own, none is ever confirmed.
      expect(ride({})).toEqual([[], []]);
      expect(resolveByteTrackerOptions({}).tentativeMatchThresh).toBe(0.5);
      expect(resolveByteTrackerOptions({ lowMatchThresh: 0.4 }).tentativeMatchThresh).toBe(0.4);
      // 0.7: confirmed by its second box and reported from it.
      expect(ride({ tentativeMatchThresh: 0.7 })).toEqual([[], [1]]);
      // 0.5 with both boxes widened by 0.2 of their size per side (youngTrackBuffer, 70 × 70 px 20 px apart):
      // 50 × 70 / (2 × 4 900 − 3 500) = 0.556, matched as well; by 0.1 (60 × 60): 40 × 60 / (2 × 3 600 − 2 400) = 0.5,
      // cost 0.5, not below 0.5: not matched.
      expect(ride({ youngTrackBuffer: 0.2 })).toEqual([[], [1]]);
      expect(ride({ youngTrackBuffer: 0.1 })).toEqual([[], []]);
    });
  });
});

describe('ByteTracker frames not sent (dropped, or an edge that publishes only frames with boxes)', () => {
  // A car 40 px wide drives right at 15 px a frame, 10 fps; frames 10–13 never arrive (4 frames, 400 ms).
  const drive = (t: ByteTracker, skip: (f: number) => boolean): number[] => {
    const seen: number[] = [];
    for (let f = 0; f < 20; f++) {
      if (skip(f)) continue;
      seen.push(...ids(t, f * 100, [box(100 + 15 * f, 50, 0.9, 'car')]));
    }
    return seen;
  };

  it('predicts over the missing frames: the car keeps its id (one message for five frames of motion)', () => {
    const t = new ByteTracker({ fps: 10 });
    expect(new Set(drive(t, (f) => f >= 10 && f <= 13))).toEqual(new Set([1]));
    expect(t.frameCount).toBe(20); // time in frames, not messages (16 of them)
  });

  it('a lost track ages by time: 1.6 s without a frame ends it at 10 fps (maxLost 10)', () => {
    const t = new ByteTracker({ fps: 10 });
    expect(t.maxLost).toBe(10);
    for (let f = 0; f < 10; f++) t.update(f * 100, [box(100 + 15 * f, 50, 0.9, 'car')]);
    expect(t.update(1000, []).finished).toHaveLength(0); // frame 10: lost
    expect(t.update(2600, []).finished.map((s) => s.id)).toEqual([1]); // 16 frames later, beyond 10
  });

  it('a camera that sends every frame, its timestamps ± 20 ms off, counts one step per frame', () => {
    const t = new ByteTracker({ fps: 10 });
    const jitter = [0, 15, -20, 20, -20, 10, 0, -15, 20, 0];
    for (let f = 0; f < 40; f++) t.update(f * 100 + jitter[f % 10], [box(100 + 5 * f, 50, 0.9, 'car')]);
    expect(t.frameCount).toBe(40);
  });
});

describe('ByteTracker highInSecondAssociation', () => {
  // A 50 × 50 px box standing still for 3 frames (score 0.9), then shifted 15 px with a middling score 0.35:
  // IoU with the track 35 × 50 / (2 × 2 500 − 1 750) = 0.54. With trackHigh 0.3 the box is high, and the first
  // association's fused cost 1 − 0.54 × 0.35 = 0.81 is above matchThresh 0.8; below newTrackThresh 0.4 it starts
  // nothing either.
  const square = (x: number, score: number): TrackerBox => ({ bbox: [x, 100, 50, 50], score, cls: 'car' });
  const runWith = (on: boolean): number[][] => {
    const t = new ByteTracker({ fps: 5, trackHigh: 0.3, highInSecondAssociation: on });
    const out: number[][] = [];
    for (let k = 0; k < 3; k++) out.push(ids(t, k * 200, [square(100, 0.9)]));
    out.push(ids(t, 600, [square(115, 0.35)]));
    return out;
  };

  it('ByteTrack (off): the middling box is matched by nothing, the track is lost for that frame', () => {
    const r = runWith(false);
    expect(r.slice(0, 3)).toEqual([[1], [1], [1]]);
    expect(r[3]).toEqual([]);
  });

  it('on: the box left by the first association continues the track by IoU (0.54 ≥ 1 − lowMatchThresh)', () => {
    expect(runWith(true)).toEqual([[1], [1], [1], [1]]);
  });
});

describe('ByteTracker lostInSecondAssociation', () => {
  // A 50 × 50 px box standing still for 3 frames (score 0.9), missed for `gap` frames, then back in place with a
  // low score 0.2 (trackLow 0.1 ≤ 0.2 < trackHigh 0.5): only the second association can take it.
  const square = (score: number): TrackerBox => ({ bbox: [100, 100, 50, 50], score, cls: 'car' });
  const runWith = (lost: number, gap: number): number[] => {
    const t = new ByteTracker({ fps: 5, trackHigh: 0.5, lostInSecondAssociation: lost });
    for (let k = 0; k < 3; k++) ids(t, k * 200, [square(0.9)]);
    for (let k = 0; k < gap; k++) ids(t, (3 + k) * 200, []);
    return ids(t, (3 + gap) * 200, [square(0.2)]);
  };

  it('ByteTrack (0): a low box never brings back a lost track', () => {
    expect(runWith(0, 1)).toEqual([]);
  });

  it('1: a track missed in one frame takes the low box again; missed in two frames it does not', () => {
    expect(runWith(1, 1)).toEqual([1]);
    expect(runWith(1, 2)).toEqual([]);
    expect(runWith(2, 2)).toEqual([1]);
  });

  it('is an integer number of frames ≥ 0', () => {
    expect(() => new ByteTracker({ lostInSecondAssociation: -1 })).toThrow(TrackerConfigError);
    expect(() => new ByteTracker({ lostInSecondAssociation: 0.5 })).toThrow(/lostInSecondAssociation/);
  });
});

describe('ByteTracker youngTrackBuffer', () => {
  // A weak 100 × 60 px box (score 0.4: below the new-track 0.6, above the tentative-birth 0.3) moving 50 px a frame,
  // as a motorcycle seen at 5 fps. Its tentative track is predicted where it was born (no velocity yet): plain IoU
  // with the next box 50 × 60 / (2 × 6000 − 3000) = 0.33 < 1 − lowMatchThresh 0.5, so it never gets its second box.
  // Widened by 0.5 of their size on each side (200 × 120 px): 150 × 120 / (2 × 24000 − 18000) = 0.6 ≥ 0.5.
  const reported = (buffer: number): number[] => {
    // Velocity noise as the camera pipeline sets it at 5 fps (× 30 / fps): once young, the Kalman filter follows.
    const t = new ByteTracker({
      fps: 5,
      minHits: 1,
      lowBirthHits: 2,
      stdWeightVelocity: 6 / 160,
      youngTrackBuffer: buffer,
    });
    const seen: number[] = [];
    for (let k = 0; k < 6; k++) seen.push(...ids(t, k * 200, [box(100 + 50 * k, 300, 0.4, 'motorcycle', 100, 60)]));
    return seen;
  };

  it('0 (ByteTrack): the tentative track of a fast weak box dies every frame, nothing is reported', () => {
    expect(reported(0)).toEqual([]);
  });

  it('0.5: the buffered IoU gives the tentative track its second box; one track from the second frame on', () => {
    expect(reported(0.5)).toEqual([1, 1, 1, 1, 1]);
  });

  it('is a share of the box size in [0, 2]', () => {
    expect(() => new ByteTracker({ youngTrackBuffer: -0.1 })).toThrow(TrackerConfigError);
    expect(() => new ByteTracker({ youngTrackBuffer: 3 })).toThrow(/youngTrackBuffer/);
  });
});

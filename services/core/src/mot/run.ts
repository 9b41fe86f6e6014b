/**
 * Runs the ByteTrack-family tracker over a MOTChallenge detection file (`det.txt`) and writes the
 * hypothesis in MOTChallenge format — the offline path used to score the tracker with
 * {@link evalMot}. Pure: the caller reads and writes files.
 */
import { ByteTracker } from '../tracker/byte-tracker.ts';
import type { ByteTrackerOptions } from '../tracker/options.ts';
import { formatMotLine, indexMotByFrame, type MotRows, parseMot } from './parse.ts';

/** How detection scores were mapped to [0, 1] before tracking. */
export interface ScoreMapping {
  /** `identity` when every score already lies in [0, 1]; otherwise `minmax` over the file. */
  readonly kind: 'identity' | 'minmax';
  readonly min: number;
  readonly max: number;
}

export interface TrackMotOptions extends Partial<ByteTrackerOptions> {
  /** Frame rate of the sequence (MOTChallenge `seqinfo.ini` `frameRate`). */
  fps: number;
  /**
   * Score handling. `auto`: keep scores already in [0, 1], else min–max normalise over the file
   * (MOTChallenge public detections come on detector-specific scales, e.g. DPM's signed scores);
   * `none`: use as they are (they must be in [0, 1]).
   * @default 'auto'
   */
  scores?: 'auto' | 'none';
}

export interface TrackMotResult {
  /** Hypothesis in MOTChallenge format: `frame,id,left,top,width,height,score,-1,-1,-1`. */
  readonly text: string;
  /** Frames processed (first to last frame of the file, including frames without boxes). */
  readonly frames: number;
  readonly detections: number;
  /** Distinct confirmed track ids written. */
  readonly tracks: number;
  readonly scoreMapping: ScoreMapping;
}

/** Decides how to bring scores into [0, 1] (see {@link TrackMotOptions.scores}). */
export function scoreMappingFor(scores: ArrayLike<number>): ScoreMapping {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s)) continue;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  if (min === Number.POSITIVE_INFINITY) return { kind: 'identity', min: 1, max: 1 };
  if (min >= 0 && max <= 1) return { kind: 'identity', min, max };
  return { kind: 'minmax', min, max };
}

function mapScore(m: ScoreMapping, s: number): number {
  if (!Number.isFinite(s)) return 1; // files without a score column: every box is "high"
  if (m.kind === 'identity') return s;
  return m.max > m.min ? (s - m.min) / (m.max - m.min) : 1;
}

/** Tracks parsed detections; see {@link trackMotFile}. */
export function trackMotRows(det: MotRows, options: TrackMotOptions): TrackMotResult {
  const { scores = 'auto', ...trackerOptions } = options;
  const tracker = new ByteTracker(trackerOptions);
  const mapping: ScoreMapping =
    scores === 'auto' ? scoreMappingFor(det.conf) : { kind: 'identity', min: Number.NaN, max: Number.NaN };
  const index = indexMotByFrame(det);
  const lines: string[] = [];
  const ids = new Set<number>();
  let frames = 0;
  if (index.frames.length > 0) {
    const first = Math.min(1, index.frames[0]);
    const last = index.frames[index.frames.length - 1];
    let k = 0;
    let xywh = new Float64Array(64);
    let sc = new Float64Array(16);
    for (let f = first; f <= last; f++) {
      let n = 0;
      if (k < index.frames.length && index.frames[k] === f) {
        n = index.start[k + 1] - index.start[k];
        if (sc.length < n) {
          sc = new Float64Array(n * 2);
          xywh = new Float64Array(n * 8);
        }
        for (let j = 0; j < n; j++) {
          const r = index.order[index.start[k] + j];
          xywh[4 * j] = det.x[r];
          xywh[4 * j + 1] = det.y[r];
          xywh[4 * j + 2] = det.w[r];
          xywh[4 * j + 3] = det.h[r];
          sc[j] = mapScore(mapping, det.conf[r]);
        }
        k++;
      }
      const out = tracker.updateColumns((f * 1000) / options.fps, { count: n, xywh, score: sc });
      frames++;
      for (let i = 0; i < out.count; i++) {
        ids.add(out.ids[i]);
        const b = out.boxes;
        lines.push(formatMotLine(f, out.ids[i], b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], out.scores[i]));
      }
    }
  }
  return {
    text: lines.length > 0 ? `${lines.join('\n')}\n` : '',
    frames,
    detections: det.n,
    tracks: ids.size,
    scoreMapping: mapping,
  };
}

/**
 * Tracks a MOTChallenge detection text (`det.txt`) and returns the hypothesis text with run
 * statistics. Each frame from the first to the last frame of the file is one tracker update.
 */
export function trackMotFile(detText: string, options: TrackMotOptions): TrackMotResult {
  return trackMotRows(parseMot(detText), options);
}

/** Hypothesis text only (see {@link trackMotFile}). */
export function trackMot(detText: string, options: TrackMotOptions): string {
  return trackMotFile(detText, options).text;
}

/**
 * Event-time tumbling windows with keyed sums. `add` buckets by window start; `drain` hands out (and
 * forgets) every open bucket, which is how operators emit partial aggregates at a checkpoint: downstream
 * sums partials, so results are exact whatever the checkpoint cadence.
 */
export class TumblingSums<V extends Record<string, number>> {
  readonly sizeMs: number;
  private readonly buckets = new Map<string, { windowStart: number; key: string; sums: V }>();
  private readonly zero: () => V;

  constructor(sizeMs: number, zero: () => V) {
    if (!(sizeMs > 0)) throw new RangeError('window size must be > 0 ms');
    this.sizeMs = sizeMs;
    this.zero = zero;
  }

  windowStart(ts: number): number {
    return ts - (((ts % this.sizeMs) + this.sizeMs) % this.sizeMs);
  }

  /** Adds `values` to the bucket of (window of ts, key); returns the bucket's sums. */
  add(ts: number, key: string, values: Partial<V>): V {
    const ws = this.windowStart(ts);
    const id = `${ws}|${key}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = { windowStart: ws, key, sums: this.zero() };
      this.buckets.set(id, b);
    }
    const sums = b.sums as Record<string, number>;
    for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + (v as number);
    return b.sums;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Removes and returns buckets whose window ended at or before `watermark` (all when omitted). */
  drain(watermark = Number.POSITIVE_INFINITY): { windowStart: number; key: string; sums: V }[] {
    const out: { windowStart: number; key: string; sums: V }[] = [];
    for (const [id, b] of this.buckets) {
      if (b.windowStart + this.sizeMs <= watermark) {
        out.push(b);
        this.buckets.delete(id);
      }
    }
    out.sort((a, b) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }
}

/**
 * Value guard rails of the counts role (issue 12 item 4): a counter record reaches the bins only when
 * - its count is finite and ≥ 0 (or null: a gap),
 * - its end is after its start,
 * - its count is at most `counts.maxPerHour` × the interval's length in hours (at least one minute): 1e15 or
 *   1e308 is a broken sensor or a unit error, not traffic,
 * - its sensor is known, when a site registry is configured (`sitesFile`): an unknown sensor's counts would be
 *   stored without a site, channel or mode and exported nowhere,
 * - it was not delivered before: the message id (`id` of counts.v1, or else sensor × direction × mode × interval)
 *   is remembered for `counts.dedupWindowMs` of event time behind the watermark, so the same record delivered three
 *   times is counted once (a second, different value for an interval already counted is dropped the same way: the
 *   first is kept).
 * A refused record becomes a dead letter: BAD_VALUE (first three), UNKNOWN_SENSOR, DUPLICATE (docs/ERRORS.md).
 */
import type { Config } from '@passage/config';
import { loadRegistry } from '@passage/registry';
import type { CountRecord } from '@passage/stream';

export interface CountGuardOptions {
  maxPerHour: number;
  dedupWindowMs: number;
  /** Sensor ids of the registry's counters; null = no registry configured (every sensor accepted). */
  knownSensors: ReadonlySet<string> | null;
  /** Where the registry comes from, for the message. */
  registryPath?: string;
  /** Input topic, for the dead letters. */
  topic?: string;
}

/** Sensor ids of the configured registry's counters, or null without a registry (`sitesFile` empty). */
export function registryCounterIds(config: Config): ReadonlySet<string> | null {
  return config.sitesFile ? new Set(loadRegistry(config.sitesFile).counters.map((c) => c.id)) : null;
}

export interface Refusal {
  reason: 'BAD_VALUE' | 'UNKNOWN_SENSOR' | 'DUPLICATE';
  message: string;
}

const HOUR_MS = 3_600_000;

/** The message id of a counter record: its own `id`, or its series and interval. */
export function countMessageId(r: CountRecord): string {
  return r.id !== undefined
    ? `id\u0000${r.sensorId}\u0000${r.id}`
    : `${r.sensorId}\u0000${r.direction ?? ''}\u0000${r.mode ?? ''}\u0000${r.start}\u0000${r.end}`;
}

export class CountGuard {
  private readonly opts: CountGuardOptions;
  /** Message id → end of its interval (pruned behind the watermark). */
  private readonly seen = new Map<string, number>();
  private pruneAt = Number.NEGATIVE_INFINITY;

  constructor(opts: CountGuardOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.seen.size;
  }

  /** null when the record may be counted (and is then remembered), else why not. */
  check(r: CountRecord): Refusal | null {
    const sid = r.sensorId.slice(0, 64);
    if (!Number.isFinite(r.start) || !Number.isFinite(r.end) || !(r.end > r.start)) {
      return {
        reason: 'BAD_VALUE',
        message: `sensor ${sid}: the interval must end after it starts (start ${r.start}, end ${r.end})`,
      };
    }
    if (r.count !== null) {
      if (!Number.isFinite(r.count) || r.count < 0) {
        return { reason: 'BAD_VALUE', message: `sensor ${sid}: count ${r.count} is not a finite number ≥ 0` };
      }
      const ceiling = (this.opts.maxPerHour * Math.max(r.end - r.start, 60_000)) / HOUR_MS;
      if (r.count > ceiling) {
        return {
          reason: 'BAD_VALUE',
          message:
            `sensor ${sid}: count ${r.count} over ${(r.end - r.start) / 1000} s is above the ceiling ${ceiling} ` +
            `(counts.maxPerHour ${this.opts.maxPerHour}): a unit error or a broken sensor; raise counts.maxPerHour if it is real`,
        };
      }
    }
    if (this.opts.knownSensors !== null && !this.opts.knownSensors.has(r.sensorId)) {
      return {
        reason: 'UNKNOWN_SENSOR',
        message: `sensor ${sid} is not a counter of the site registry ${this.opts.registryPath ?? ''}: add it to counters[] (docs/SITES.md)`,
      };
    }
    const id = countMessageId(r);
    if (this.seen.has(id)) {
      return {
        reason: 'DUPLICATE',
        message: `sensor ${sid}: this record (${r.id !== undefined ? `id ${String(r.id).slice(0, 64)}` : `interval ${new Date(r.start).toISOString()}/${new Date(r.end).toISOString()}`}) was already counted; the first delivery is kept`,
      };
    }
    this.seen.set(id, r.end);
    return null;
  }

  /** Forgets message ids whose interval ended more than `dedupWindowMs` before the watermark. */
  prune(watermark: number): void {
    if (!Number.isFinite(watermark)) return;
    const limit = watermark - this.opts.dedupWindowMs;
    if (limit <= this.pruneAt) return;
    this.pruneAt = limit + Math.min(this.opts.dedupWindowMs, HOUR_MS) / 4; // prune at most 4× per window
    for (const [id, end] of this.seen) if (end < limit) this.seen.delete(id);
  }
}

import type { ClickHouseClient, LiveMinute } from '@passage/store';
import { latestMinute, liveSince } from '@passage/store';
import type { Logger } from '@passage/stream';

export type LiveListener = (m: LiveMinute) => void;

/**
 * Live aggregates for the SSE route. One poller for every listener: while anyone listens, the store is asked
 * every `pollMs` for minutes newer than the last one sent. In-process producers (the demo) can also `publish`
 * minutes directly; both paths feed the same listeners, and a minute is sent once.
 */
export class LiveHub {
  private readonly listeners = new Set<LiveListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private polling = false;
  private closed = false;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Subscribes; returns the unsubscribe function. Starts polling on the first listener. */
  subscribe(fn: LiveListener): () => void {
    this.listeners.add(fn);
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Sends one minute of aggregates to every listener (in-process producers). */
  publish(m: LiveMinute): void {
    if (m.minute <= this.lastSent) return;
    this.lastSent = m.minute;
    for (const l of this.listeners) l(m);
  }

  /** The latest minutes (for a new listener), oldest first. */
  async recent(maxMinutes: number): Promise<LiveMinute[]> {
    const last = await latestMinute(this.client);
    if (last === null) return [];
    return liveSince(this.client, last - maxMinutes * 60_000, maxMinutes);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const last = await latestMinute(this.client);
      if (last === null || last <= this.lastSent) return;
      // First poll: start just before the latest minute (new listeners got `recent` already).
      const since = this.lastSent || last - 60_000;
      for (const m of await liveSince(this.client, since)) this.publish(m);
    } catch (e) {
      this.log.warn({ code: 'PASSAGE_LIVE_POLL', err: (e as Error).message }, 'live poll failed');
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}

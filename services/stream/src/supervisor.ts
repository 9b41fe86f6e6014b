import type { Logger } from './log.ts';

/** Exponential backoff with ±20 % jitter, bounded: `initialMs · 2^attempt`, at most `maxMs`. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Runs the functions given to it one after another (a batch, a flush, a reconnect never overlap). */
export function serialized(): <R>(fn: () => Promise<R>) => Promise<R> {
  let chain: Promise<unknown> = Promise.resolve();
  return <R>(fn: () => Promise<R>): Promise<R> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
}

/** Where a supervised role is: consuming is the only state in which it makes progress. */
export type RoleState = 'starting' | 'consuming' | 'recovering' | 'stopped';

export interface RoleHealth {
  role: string;
  state: RoleState;
  /** Since when (epoch ms) the role is in this state. */
  since: number;
  /** Recoveries since start (broker loss, crashed consumer, failed transaction). */
  restarts: number;
  /** Consuming, and its consumer fetched within the stale limit. */
  ready: boolean;
  lastError?: string;
  /** Last completed fetch (epoch ms). */
  lastFetchAt?: number;
}

export interface SupervisorOptions {
  /** Creates and connects the role's clients and starts consuming; throws when the broker is unreachable. */
  connect(): Promise<void>;
  /** Disconnects whatever `connect` created (never throws: errors are ignored). */
  teardown(): Promise<void>;
  /** Runs before reconnecting after a failure (e.g. a sink flushes what it holds). */
  beforeReconnect?(): Promise<void>;
  initialRetryMs?: number;
  maxRetryMs?: number;
  /** A consuming role whose consumer has not fetched for this long is not ready. Default 60 s. */
  staleFetchMs?: number;
}

/**
 * Keeps one role consuming (issue 12 item 1): connects with backoff until the broker answers (also at start-up),
 * and after any failure — a crashed consumer, a lost broker, a transaction the producer can no longer finish — tears
 * the clients down and re-creates them with backoff; consumption resumes from the committed offsets. Its state feeds
 * the worker's `/readyz` (not ready unless every role is consuming and fetching).
 */
export class Supervisor {
  readonly role: string;
  #state: RoleState = 'starting';
  #since = Date.now();
  #restarts = 0;
  #lastError?: string;
  #lastFetchAt?: number;
  #recovering: Promise<void> | null = null;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  readonly #opts: Required<Omit<SupervisorOptions, 'beforeReconnect'>> & Pick<SupervisorOptions, 'beforeReconnect'>;
  readonly #log: Logger;

  constructor(role: string, log: Logger, opts: SupervisorOptions) {
    this.role = role;
    this.#log = log;
    this.#opts = { initialRetryMs: 500, maxRetryMs: 15_000, staleFetchMs: 60_000, ...opts };
  }

  get state(): RoleState {
    return this.#state;
  }

  /** Connects, retrying with backoff until it works or `stop` is called. */
  async start(): Promise<void> {
    await this.#connectLoop();
  }

  /** The consumer joined its group (partitions assigned). */
  consuming(): void {
    if (this.#stopped) return;
    this.#set('consuming');
  }

  /** The consumer completed a fetch. */
  fetched(): void {
    this.#lastFetchAt = Date.now();
  }

  /** Something failed for good: tear down and reconnect (once, however many times it is reported). */
  fail(err: unknown): void {
    if (this.#stopped || this.#recovering) return;
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#restarts++;
    this.#set('recovering');
    this.#log.warn({ err: this.#lastError, restarts: this.#restarts }, 'role lost its broker connection; reconnecting');
    this.#recovering = (async () => {
      await this.#opts.teardown();
      if (this.#opts.beforeReconnect) {
        await this.#opts.beforeReconnect().catch((e) => {
          this.#log.warn({ err: (e as Error).message }, 'before-reconnect step failed');
        });
      }
      await this.#connectLoop();
    })().finally(() => {
      this.#recovering = null;
    });
  }

  health(now = Date.now()): RoleHealth {
    const fresh =
      this.#lastFetchAt === undefined
        ? now - this.#since < this.#opts.staleFetchMs
        : now - this.#lastFetchAt < this.#opts.staleFetchMs;
    const h: RoleHealth = {
      role: this.role,
      state: this.#state,
      since: this.#since,
      restarts: this.#restarts,
      ready: this.#state === 'consuming' && fresh,
    };
    if (this.#lastError !== undefined) h.lastError = this.#lastError;
    if (this.#lastFetchAt !== undefined) h.lastFetchAt = this.#lastFetchAt;
    return h;
  }

  /** No more reconnecting; waits for a recovery in flight to give up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#set('stopped');
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#recovering;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async #connectLoop(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await this.#opts.connect();
        if (this.#state !== 'consuming' && !this.#stopped) this.#set('starting'); // until the group is joined
        return;
      } catch (e) {
        this.#lastError = (e as Error).message;
        await this.#opts.teardown();
        const wait = backoffMs(attempt, this.#opts.initialRetryMs, this.#opts.maxRetryMs);
        this.#log.warn({ err: this.#lastError, attempt, retryInMs: wait }, 'cannot reach the broker; retrying');
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, wait);
        });
        this.#timer = null;
        this.#wake = null;
      }
    }
  }

  #set(state: RoleState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#since = Date.now();
  }
}

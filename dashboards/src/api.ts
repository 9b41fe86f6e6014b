/** Minimal client of the Passage API (same origin). The key, when given, goes in the x-api-key header. */
import { SseParser } from './shape/series.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Codes by which the API refuses the key itself (not the role): the key is then forgotten. */
const KEY_REFUSED = new Set(['PASSAGE_BAD_KEY', 'PASSAGE_AUTH_RATE_LIMITED']);

export class Api {
  /**
   * Until the key has been answered once, the first keyed request goes alone and the others wait for its answer:
   * the API counts 10 failed key checks a minute per address (then refuses every key from it), so a refused key
   * is sent once per page load; the waiting requests then leave without it.
   */
  private keyCheck: Promise<void> | null = null;
  private keyChecked = false;
  /** Called once when the API refuses the key (401/403 with a key code); the key is already forgotten. */
  onKeyRefused: (code: string) => void = () => {};

  constructor(
    public key = '',
    private readonly base = '',
  ) {}

  private headers(): Record<string, string> {
    return this.key ? { 'x-api-key': this.key } : {};
  }

  url(path: string, params: Record<string, string | number | undefined> = {}): string {
    const q = Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return `${this.base}${path}${q ? `?${q}` : ''}`;
  }

  /** fetch with the key; while the key is unanswered, only one request carries it (see `keyCheck`). */
  private async send(url: string, signal?: AbortSignal, anonymous = false): Promise<Response> {
    if (anonymous) return fetch(url, { signal });
    if (!this.key || this.keyChecked) return fetch(url, { headers: this.headers(), signal });
    if (this.keyCheck) {
      await this.keyCheck;
      return this.send(url, signal);
    }
    let answered = () => {};
    this.keyCheck = new Promise<void>((r) => {
      answered = r;
    });
    let reached = false;
    try {
      const res = await fetch(url, { headers: this.headers(), signal });
      reached = true;
      if (res.status === 401 || res.status === 403 || res.status === 429) {
        const code =
          (
            (await res
              .clone()
              .json()
              .catch(() => ({}))) as { code?: string }
          ).code ?? '';
        if (KEY_REFUSED.has(code)) {
          this.key = '';
          this.onKeyRefused(code);
        }
      }
      return res;
    } finally {
      // A request that did not reach the API leaves the key unanswered: the next request checks it.
      this.keyChecked = reached;
      if (!reached) this.keyCheck = null;
      answered();
    }
  }

  /** GET as JSON; `anonymous`: without the key (a public route whose answer does not depend on the role). */
  async get<T>(
    path: string,
    params: Record<string, string | number | undefined> = {},
    opts: { anonymous?: boolean } = {},
  ): Promise<T> {
    const res = await this.send(this.url(path, params), undefined, opts.anonymous);
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiError(res.status, body.code ?? 'PASSAGE_HTTP', body.message ?? res.statusText);
    }
    return (await res.json()) as T;
  }

  /** Reads the live SSE route with fetch (so the key can be sent); calls `onEvent` per event until aborted. */
  async stream(path: string, onEvent: (event: string, data: string) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send(this.url(path), signal);
    if (!res.ok || !res.body) throw new ApiError(res.status, 'PASSAGE_HTTP', res.statusText);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const e of parser.push(value)) onEvent(e.event, e.data);
    }
  }
}

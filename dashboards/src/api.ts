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

export class Api {
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

  async get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    const res = await fetch(this.url(path, params), { headers: this.headers() });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiError(res.status, body.code ?? 'PASSAGE_HTTP', body.message ?? res.statusText);
    }
    return (await res.json()) as T;
  }

  /** Reads the live SSE route with fetch (so the key can be sent); calls `onEvent` per event until aborted. */
  async stream(path: string, onEvent: (event: string, data: string) => void, signal: AbortSignal): Promise<void> {
    const res = await fetch(this.url(path), { headers: this.headers(), signal });
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

/**
 * The one error base of Passage. Every error a user can see carries a stable code (`PASSAGE_…`, listed in
 * docs/ERRORS.md), a message that says what to do, whether retrying may help, and the domain it comes from
 * (kafkajs / Arroyo style: callers decide by these fields, never by class name). It lives in `@passage/core`
 * because core depends on nothing of ours; `@passage/config` re-exports it.
 */
export type ErrorDomain = 'user' | 'external' | 'internal';

export interface PassageErrorOptions {
  retriable?: boolean;
  domain?: ErrorDomain;
  cause?: unknown;
}

export class PassageError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly domain: ErrorDomain;

  constructor(code: string, message: string, options: PassageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PassageError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.domain = options.domain ?? 'user';
  }
}

export function isPassageError(e: unknown): e is PassageError {
  return e instanceof PassageError;
}

import { STATUS_CODES } from 'node:http';
import { PassageError } from '@passage/config';
import { Type } from '@sinclair/typebox';

/**
 * Every error the API returns has this body, whatever the status (also 413, 429 and 431, and errors raised before
 * routing). `code` is stable (documented below); `message` says what to do.
 *
 * | code | status | meaning |
 * |---|---|---|
 * | PASSAGE_BAD_REQUEST | 400 | a parameter is missing or invalid (the message names it) |
 * | PASSAGE_BAD_RANGE | 400 | `to` is not after `from`, or the range is too long for the interval |
 * | PASSAGE_EXPORT_FORMAT | 400 | the dataset is not available in that format |
 * | PASSAGE_AUTH_REQUIRED | 401 | the route needs an API key (`x-api-key` or `Authorization: Bearer`) |
 * | PASSAGE_BAD_KEY | 401 | the API key is not known |
 * | PASSAGE_FORBIDDEN | 403 | the key's role may not use this route |
 * | PASSAGE_NOT_FOUND | 404 | no such route |
 * | PASSAGE_SITE_NOT_FOUND | 404 | no such site |
 * | PASSAGE_BODY_TOO_LARGE | 413 | the request body is over the limit |
 * | PASSAGE_UNSUPPORTED_MEDIA_TYPE | 415 | a request body of a type the API does not read |
 * | PASSAGE_RATE_LIMITED | 429 | too many requests this minute |
 * | PASSAGE_AUTH_RATE_LIMITED | 429 | too many wrong API keys from this address this minute |
 * | PASSAGE_HEADERS_TOO_LARGE | 431 | the request headers are over the limit |
 * | PASSAGE_STORE_UNAVAILABLE | 503 | the store did not answer |
 * | PASSAGE_INTERNAL | 500 | unexpected error (logged on the server, without parameters) |
 */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ pattern: '^PASSAGE_[A-Z_]+$' }),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'PassageError', description: 'Error body; `code` is stable.' },
);

/** The HTTP reason phrase of a status (`error` of the body). */
export const statusText = (status: number): string =>
  STATUS_CODES[status] ?? (status >= 500 ? 'Server Error' : 'Error');

/** The error body of a status and code. */
export function errorBody(statusCode: number, code: string, message: string) {
  return { statusCode, code, error: statusText(statusCode), message };
}

/** Code of an error without one of ours (Fastify's, a plugin's, Node's HTTP parser's), by status. */
export const CODE_OF_STATUS: Record<number, string> = {
  404: 'PASSAGE_NOT_FOUND',
  413: 'PASSAGE_BODY_TOO_LARGE',
  415: 'PASSAGE_UNSUPPORTED_MEDIA_TYPE',
  429: 'PASSAGE_RATE_LIMITED',
  431: 'PASSAGE_HEADERS_TOO_LARGE',
};

const STATUS_OF: Record<string, number> = {
  PASSAGE_BAD_REQUEST: 400,
  PASSAGE_BAD_RANGE: 400,
  PASSAGE_BAD_TIME: 400,
  PASSAGE_EXPORT_FORMAT: 400,
  PASSAGE_EXPORT_DATASET: 400,
  PASSAGE_AUTH_REQUIRED: 401,
  PASSAGE_BAD_KEY: 401,
  PASSAGE_FORBIDDEN: 403,
  PASSAGE_NOT_FOUND: 404,
  PASSAGE_SITE_NOT_FOUND: 404,
  PASSAGE_BODY_TOO_LARGE: 413,
  PASSAGE_UNSUPPORTED_MEDIA_TYPE: 415,
  PASSAGE_RATE_LIMITED: 429,
  PASSAGE_AUTH_RATE_LIMITED: 429,
  PASSAGE_HEADERS_TOO_LARGE: 431,
  PASSAGE_STORE_UNAVAILABLE: 503,
};

export function statusOf(e: PassageError): number {
  return STATUS_OF[e.code] ?? (e.domain === 'user' ? 400 : e.domain === 'external' ? 503 : 500);
}

export function apiError(code: keyof typeof STATUS_OF | string, message: string): PassageError {
  return new PassageError(code, message);
}

/** The 4xx/5xx responses every route documents. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

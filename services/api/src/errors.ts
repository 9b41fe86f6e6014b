import { PassageError } from '@passage/config';
import { Type } from '@sinclair/typebox';

/**
 * Every error the API returns has this body. `code` is stable (documented below); `message` says what to do.
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
 * | PASSAGE_RATE_LIMITED | 429 | too many requests this minute |
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

export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
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
  PASSAGE_RATE_LIMITED: 429,
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

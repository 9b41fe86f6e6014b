/**
 * Errors of the geometry module. `@passage/core` depends on nothing of ours, so this mirrors the shape of
 * `PassageError` from `@passage/config` (stable `code`, `retriable`, `domain`) without importing it: callers
 * decide by these fields, never by class name.
 */
export type GeometryErrorCode = 'PASSAGE_CALIBRATION_DEGENERATE' | 'PASSAGE_CALIBRATION_INVALID';

export class CalibrationError extends Error {
  readonly code: GeometryErrorCode;
  readonly retriable = false;
  readonly domain = 'user' as const;
  /** Indices of the offending point pairs, when the problem is tied to particular points. */
  readonly points: readonly number[];

  constructor(code: GeometryErrorCode, message: string, points: readonly number[] = []) {
    super(message);
    this.name = 'CalibrationError';
    this.code = code;
    this.points = points;
  }
}

/** Errors of the geometry module: a `PassageError` (the one error base, `../errors.ts`) with the offending points. */
import { PassageError } from '../errors.ts';

export type GeometryErrorCode = 'PASSAGE_CALIBRATION_DEGENERATE' | 'PASSAGE_CALIBRATION_INVALID';

export class CalibrationError extends PassageError {
  declare readonly code: GeometryErrorCode;
  /** Indices of the offending point pairs, when the problem is tied to particular points. */
  readonly points: readonly number[];

  constructor(code: GeometryErrorCode, message: string, points: readonly number[] = []) {
    super(code, message);
    this.name = 'CalibrationError';
    this.points = points;
  }
}

export { CalibrationError, type GeometryErrorCode } from './errors.ts';
export {
  type FitHomographyOptions,
  fitHomography,
  footPoint,
  GroundHomography,
  type HomographyFit,
  type PointPair,
  pairsFromLonLat,
} from './homography.ts';
export { covarianceEigen2, det3, inv3, mul3, type Svd, svdJacobi } from './linalg.ts';
export { EARTH_RADIUS_M, LocalFrame, type LonLat, toLocal, toLonLat, type XY } from './local-frame.ts';
export { type LocalPolygon, localPolygon, pointInLocalPolygon, pointInPolygon } from './polygon.ts';
export { lsSpeed, MS_TO_KMH, SpeedEstimator, type SpeedEstimatorOptions } from './speed.ts';

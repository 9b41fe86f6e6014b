/** Defaults of a build: chartres-centre's (the other worlds carry their own in their recipes). */
export const DEFAULTS = {
  seed: 20260310,
  durationS: 3600,
  stepS: 0.5,
  /** 2026-03-10 07:30:00 Europe/Paris (CET, UTC+1). */
  start: Date.UTC(2026, 2, 10, 6, 30, 0),
  /** Chartres cathedral. */
  origin: { lon: 1.4875, lat: 48.4477 },
  timezone: 'Europe/Paris',
};

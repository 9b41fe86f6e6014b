-- Hourly k-anonymous OD cells and per-site distinct-device counts (services/workers/src/roles/od-matcher.ts,
-- topic od.hourly.v1, sink-od-hourly; README § Origin–destination and privacy).
--
-- kind = 'od': one row per (origin zone, destination zone, mode group, hour of departure); trips = distinct
--   tokens of the hour, k-anonymity applied by the matcher at THIS level (a row with fewer than privacy.k distinct
--   tokens is stored only as suppressed = 1, trips = 0, no travel times). Population flows are expanded from
--   these rows (od_expanded_1h).
-- kind = 'site': one row per (sighting site, hour); origin = site id, destination = its zone, mode = radio
--   (wifi | ble | anpr), trips = distinct tokens sighted there in the hour (suppressed = 1, trips = 0 below k).
--   An aggregate count only: the probe rate's numerator of the Wi-Fi/BLE expansion.
CREATE TABLE IF NOT EXISTS od_1h (
  kind LowCardinality(String),
  origin LowCardinality(String),
  destination LowCardinality(String),
  mode LowCardinality(String),
  window_start DateTime('UTC'),
  trips UInt32,
  tt_p50_s Float64,
  tt_p85_s Float64,
  suppressed UInt8,
  rule LowCardinality(String),
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (window_start, kind, origin, destination, mode)
SETTINGS non_replicated_deduplication_window = 1000;

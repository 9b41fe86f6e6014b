-- Footfall: day-ahead forecasts (services/workers/src/roles/forecast.ts, topic forecasts.v1, sink-forecasts) and
-- the operator's calendar of events (services/footfall/src/calendar.ts, `passage calendar add|list|import`).
--
-- footfall_forecasts: one row per sensor × local hour × issue. `date`/`hour` are the LOCAL date and hour of the
-- site's zone (what planners read), `start` the UTC instant of that hour; forecast = median, lo80/hi80 = the 80 %
-- interval. A sensor-hour forecast again (intraday refresh, re-run) is a new row with a later `issued`: read the
-- latest per (sensor_id, start) — view footfall_forecasts_latest.
CREATE TABLE IF NOT EXISTS footfall_forecasts (
  sensor_id LowCardinality(String),
  start DateTime('UTC'),
  date Date,
  hour UInt8,
  forecast Float64,
  lo80 Float64,
  hi80 Float64,
  origin DateTime('UTC'),
  issued DateTime('UTC'),
  model LowCardinality(String),
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (sensor_id, start, issued)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE VIEW IF NOT EXISTS footfall_forecasts_latest AS
SELECT sensor_id, start, date, hour,
  argMax(forecast, issued) AS forecast, argMax(lo80, issued) AS lo80, argMax(hi80, issued) AS hi80,
  max(issued) AS last_issued
FROM footfall_forecasts GROUP BY sensor_id, start, date, hour;

-- Operator-defined events (market days, works, festivals, school holidays imported from an official calendar):
-- inclusive local date range, optional region (e.g. FR-A) and sensors it concerns (empty = every sensor).
CREATE TABLE IF NOT EXISTS calendar_events (
  id String,
  kind LowCardinality(String),
  name String,
  from_date Date,
  to_date Date,
  region LowCardinality(String) DEFAULT '',
  sensors Array(String),
  created DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(created) ORDER BY id;

-- Passage core aggregate tables (DESIGN §6). Every table written by a stream sink carries
-- `_src` (source 'topic/partition', or 'embedded') and `_offset` (source offset of the row's message):
-- on restart a sink resumes after max(_offset) per _src, which makes the sink exactly-once in effect.
-- Timestamps are UTC; minute/window columns are bucket starts.

CREATE TABLE IF NOT EXISTS event_totals_1m (
  window_start DateTime('UTC'),
  key LowCardinality(String),
  events UInt64,
  value_sum Float64,
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (key, window_start)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS line_counts_1m (
  site_id LowCardinality(String),
  camera_id LowCardinality(String),
  line_id LowCardinality(String),
  direction LowCardinality(String),
  mode LowCardinality(String),
  minute DateTime('UTC'),
  count UInt32,
  speed_sum Float64,
  speed_count UInt32,
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (site_id, camera_id, line_id, minute, direction, mode)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS movements_1m (
  site_id LowCardinality(String),
  camera_id LowCardinality(String),
  from_zone LowCardinality(String),
  to_zone LowCardinality(String),
  mode LowCardinality(String),
  minute DateTime('UTC'),
  count UInt32,
  speed_sum Float64,
  speed_count UInt32,
  dwell_sum_s Float64,
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (site_id, camera_id, minute, from_zone, to_zone, mode)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS counts_1m (
  sensor_id LowCardinality(String),
  interval LowCardinality(String),
  start DateTime('UTC'),
  end DateTime('UTC'),
  direction LowCardinality(String),
  mode LowCardinality(String),
  count Nullable(Float64),
  raw_count Nullable(Float64),
  uptime Float32,
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (sensor_id, interval, start, direction, mode)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS sensor_health (
  sensor_id LowCardinality(String),
  kind LowCardinality(String),
  from DateTime('UTC'),
  to DateTime('UTC'),
  detail String,
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (sensor_id, from)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS od_15m (
  origin LowCardinality(String),
  destination LowCardinality(String),
  mode LowCardinality(String),
  window_start DateTime('UTC'),
  trips UInt32,
  expanded Float64,
  expanded_se Float64,
  tt_p50_s Float64,
  tt_p85_s Float64,
  suppressed UInt8,
  rule LowCardinality(String),
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (window_start, origin, destination, mode)
SETTINGS non_replicated_deduplication_window = 1000;

-- Metadata: sites (intersections, streets, zone gates), their cameras, lines, zones and sensors.
CREATE TABLE IF NOT EXISTS sites (
  site_id String,
  name String,
  kind LowCardinality(String),
  lon Float64,
  lat Float64,
  geometry String,
  scenario LowCardinality(String),
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY site_id;

CREATE TABLE IF NOT EXISTS devices (
  device_id String,
  site_id String,
  kind LowCardinality(String),
  name String,
  lon Float64,
  lat Float64,
  config String,
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY device_id;

-- Roll-ups by materialised views: 15-minute sums (query with sum() ... GROUP BY).
CREATE TABLE IF NOT EXISTS line_counts_15m (
  site_id LowCardinality(String),
  camera_id LowCardinality(String),
  line_id LowCardinality(String),
  direction LowCardinality(String),
  mode LowCardinality(String),
  window_start DateTime('UTC'),
  count UInt64,
  speed_sum Float64,
  speed_count UInt64
) ENGINE = SummingMergeTree ORDER BY (site_id, camera_id, line_id, window_start, direction, mode);

CREATE MATERIALIZED VIEW IF NOT EXISTS line_counts_15m_mv TO line_counts_15m AS
SELECT site_id, camera_id, line_id, direction, mode, toStartOfFifteenMinutes(minute) AS window_start,
  toUInt64(count) AS count, speed_sum, toUInt64(speed_count) AS speed_count
FROM line_counts_1m;

CREATE TABLE IF NOT EXISTS movements_15m (
  site_id LowCardinality(String),
  camera_id LowCardinality(String),
  from_zone LowCardinality(String),
  to_zone LowCardinality(String),
  mode LowCardinality(String),
  window_start DateTime('UTC'),
  count UInt64,
  speed_sum Float64,
  speed_count UInt64,
  dwell_sum_s Float64
) ENGINE = SummingMergeTree ORDER BY (site_id, camera_id, window_start, from_zone, to_zone, mode);

CREATE MATERIALIZED VIEW IF NOT EXISTS movements_15m_mv TO movements_15m AS
SELECT site_id, camera_id, from_zone, to_zone, mode, toStartOfFifteenMinutes(minute) AS window_start,
  toUInt64(count) AS count, speed_sum, toUInt64(speed_count) AS speed_count, dwell_sum_s
FROM movements_1m;

CREATE TABLE IF NOT EXISTS stream_progress (
  consumer LowCardinality(String),
  _src LowCardinality(String),
  _offset UInt64,
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (consumer, _src);

-- Queue discharge seen by the cameras (issue 13, item 2: saturation flow measured where the video shows queues
-- discharging). One row per camera × approach zone × movement (to_zone, or '*' for every movement of the approach)
-- × 15 minutes and emission: the saturated headways (HCM: queued road users leaving the approach arm, from the 5th
-- of a run on), their sum in seconds and the passenger-car units of the road users closing them; a saturation flow
-- is 3600 × sum(pcu_sum) / sum(headway_sum_s) PCU per hour of green. Aggregates only (no road-user time or id).
-- Written by the video-flows role's discharge output (topic discharge.v1, sink-discharge), embedded or Kafka. Rows
-- of one window may come in several emissions: readers sum them. Sums as Decimal64(3) (exact, order-free, 0011).
CREATE TABLE IF NOT EXISTS queue_discharge_15m (
  site_id LowCardinality(String),
  camera_id LowCardinality(String),
  from_zone LowCardinality(String),
  to_zone LowCardinality(String),
  window_start DateTime('UTC'),
  headways UInt32,
  headway_sum_s Decimal64(3),
  pcu_sum Decimal64(3),
  _src LowCardinality(String),
  _offset UInt64
) ENGINE = MergeTree ORDER BY (site_id, camera_id, window_start, from_zone, to_zone)
SETTINGS non_replicated_deduplication_window = 1000;

-- Population OD flows per hour: the observed OD matrix (od_15m) expanded to reference counts by IPF
-- (README § Origin–destination and privacy). Recomputed as counts arrive; the latest computation of a cell wins.
CREATE TABLE IF NOT EXISTS od_expanded_1h (
  origin LowCardinality(String),
  destination LowCardinality(String),
  mode LowCardinality(String),
  window_start DateTime('UTC'),
  observed UInt32,
  expanded Float64,
  expanded_se Float64,
  computed_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(computed_at) ORDER BY (window_start, origin, destination, mode);

-- Counts and OD (services/workers/src/roles/counts.ts, od-matcher.ts).
--
-- counts_1m holds ADDITIVE partial rows: the counts role emits, at every checkpoint, what the input consumed since
-- the previous checkpoint contributes to each bin, so one bin (sensor, interval, start, direction, mode) may have
-- several rows. Per row: observed_s = seconds of the bin the sensor was counting, raw_count = what it counted in
-- them (the uptime-weighted count, count × uptime), uptime = observed_s / bin length, count = raw_count / uptime
-- (the estimate for the whole bin, Telraam's convention); a gap row has count NULL, raw_count NULL, observed_s 0.
-- Aggregate rows of one bin with sum(raw_count) and sum(observed_s) (view counts_bins below), never sum(count).
ALTER TABLE counts_1m ADD COLUMN IF NOT EXISTS observed_s Float64 DEFAULT 0;

-- Health findings are per series (sensor × mode × direction).
ALTER TABLE sensor_health ADD COLUMN IF NOT EXISTS mode LowCardinality(String) DEFAULT '';
ALTER TABLE sensor_health ADD COLUMN IF NOT EXISTS direction LowCardinality(String) DEFAULT '';

-- One row per bin: partial rows summed; count NULL = gap (nothing observed), never zero.
CREATE VIEW IF NOT EXISTS counts_bins AS
SELECT sensor_id, interval, start, end, direction, mode,
  obs AS observed_s,
  if(obs > 0, raw, NULL) AS raw_count,
  if(obs > 0, raw * dateDiff('second', start, end) / obs, NULL) AS count,
  least(1, obs / dateDiff('second', start, end)) AS uptime,
  parts
FROM (
  SELECT sensor_id, interval, start, end, direction, mode,
    sum(observed_s) AS obs, sum(ifNull(raw_count, 0)) AS raw, count() AS parts
  FROM counts_1m
  GROUP BY sensor_id, interval, start, end, direction, mode
);

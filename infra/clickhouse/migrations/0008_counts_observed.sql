-- Counts publish what was observed, never a silent extrapolation (issue 11, item 3).
--
-- Before: counts_bins.count = raw × bin length / observed seconds, so an hourly bin fed by 30 minutes of 15-minute
-- reports was scaled to 60 minutes without saying so (hourly ≈ 2 × the sum of its 15-minute bins on a replay that
-- starts at :30). Now each partial row also carries
--   reported  = Σ count_r × |r ∩ B| / |r|  what the feed reported for the part of the bin its records cover
--                                           (a record aligned with the bin passes its value through bit for bit,
--                                           e.g. a Telraam hour as Telraam published it)
--   covered_s = Σ |r ∩ B|                   seconds of the bin covered by records with a value
-- and the view's `count` is Σ reported: the hourly bin is the sum of its 15-minute bins. Coverage is published beside
-- it (`observed_s`, `uptime`, `covered_s`, `coverage`). Extrapolation to the bin's uncovered time is a separate
-- column, `count_extrapolated` (= count × bin / covered_s), read only when a caller asks for it and flagged by
-- `coverage` < 1. Rows written before this migration default to reported = raw_count, covered_s = observed_s.
ALTER TABLE counts_1m ADD COLUMN IF NOT EXISTS reported Nullable(Float64) DEFAULT raw_count;
ALTER TABLE counts_1m ADD COLUMN IF NOT EXISTS covered_s Float64 DEFAULT observed_s;

CREATE OR REPLACE VIEW counts_bins AS
SELECT sensor_id, interval, start, end, direction, mode,
  obs AS observed_s,
  if(obs > 0, raw, NULL) AS raw_count,
  if(obs > 0, rep, NULL) AS count,
  least(1, obs / dateDiff('second', start, end)) AS uptime,
  cov AS covered_s,
  least(1, cov / dateDiff('second', start, end)) AS coverage,
  if(obs > 0 AND cov > 0, rep * dateDiff('second', start, end) / cov, NULL) AS count_extrapolated,
  parts
FROM (
  SELECT sensor_id, interval, start, end, direction, mode,
    sum(observed_s) AS obs, sum(ifNull(raw_count, 0)) AS raw, sum(ifNull(reported, 0)) AS rep,
    sum(covered_s) AS cov, count() AS parts
  FROM counts_1m
  GROUP BY sensor_id, interval, start, end, direction, mode
);

-- Exact 15-minute roll-ups (issue 11, item 4: a replay at any speed stores the same rows).
-- line_counts_15m and movements_15m are SummingMergeTree tables fed by materialised views from the 1-minute rows.
-- Their Float64 speed and dwell sums were added in the order of the sink's insert blocks and merges, so two replays
-- with identical 1-minute rows could differ in the last bits (agreeing to 1e-6 only). As Decimal64(3) (fixed point,
-- thousandths of the same units: km/h for speed sums, seconds for dwell sums) each 1-minute value is converted once
-- and every sum is exact integer arithmetic, whatever the order. Readers divide by speed_count as before; the
-- quantisation is below 0.001 per 1-minute row.
ALTER TABLE line_counts_15m MODIFY COLUMN speed_sum Decimal64(3);
ALTER TABLE movements_15m MODIFY COLUMN speed_sum Decimal64(3);
ALTER TABLE movements_15m MODIFY COLUMN dwell_sum_s Decimal64(3);

-- OD that says what it sees (issue 10, item 3; docs/OD-AND-PRIVACY.md "Coverage and matrix estimation").
--
-- od_expanded_1h: each population-flow cell now carries how it was obtained and its 95 % interval (GLS posterior,
-- lower bound clipped at 0):
--   status = 'observed'  both zones are seen by the group's probes (the probe matrix, fitted to the counts);
--            'estimated' one zone has no probe: the cell comes from counted totals (weak prior, wide interval);
--            'residual'  trips of a counted zone to or from zones nothing observes; the other end is the
--                        pseudo-zone '(unobserved)'. Their trips are never spread over other cells;
--            'unexpanded' matched trips published as they are: the group has neither a probe rate nor a counted
--                        total (a lower bound: lower95 = the trips, upper95 = 0, no upper bound).
-- Rows written before this migration (IPF expansion) default to 'observed' with no interval (0, 0).
ALTER TABLE od_expanded_1h ADD COLUMN IF NOT EXISTS status LowCardinality(String) DEFAULT 'observed';
ALTER TABLE od_expanded_1h ADD COLUMN IF NOT EXISTS lower95 Float64 DEFAULT 0;
ALTER TABLE od_expanded_1h ADD COLUMN IF NOT EXISTS upper95 Float64 DEFAULT 0;

-- Per hour, OD mode group and zone: which probe kinds (anpr, wifi, ble) and counters the sites file places in it,
-- the counted totals leaving (origin) and reaching (destination) it, the share of that counted traffic the probes
-- matched into trips, and the zone's status: 'observed' (probes saw devices), 'estimated' (no probe sighting,
-- counted: cells from counts), 'unobserved' (neither: no cell is published for it).
CREATE TABLE IF NOT EXISTS od_zone_coverage (
  window_start DateTime('UTC'),
  mode LowCardinality(String),
  zone LowCardinality(String),
  status LowCardinality(String),
  probe_kinds Array(LowCardinality(String)),
  counters Array(String),
  counted_origin Nullable(Float64),
  counted_destination Nullable(Float64),
  matched_share Nullable(Float64),
  computed_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(computed_at) ORDER BY (window_start, mode, zone);

-- Traffic-signal controllers of the site registry (docs/SITES.md § Signal controllers), loaded with the other
-- sites by services/store/src/metadata.ts: one row per controller; `config` holds its signal groups (movements
-- served as camera arms, minimum greens), intergreens and time-of-day plans as JSON. Reloading replaces rows.
CREATE TABLE IF NOT EXISTS signal_controllers (
  controller_id String,
  site_id String,
  name String,
  camera_ids Array(String),
  config String,
  scenario LowCardinality(String),
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY controller_id;

-- Scenario metadata for the API and the dashboard's offline base map (services/store/src/metadata.ts).
-- `scenarios`: one row per loaded scenario (time zone, origin, period of the simulation).
-- `basemap_features`: GeoJSON geometries drawn under the flows (streets of the scenario's network, OD zones),
-- keyed by (scenario, layer, feature_id); reloading a scenario replaces its rows (ReplacingMergeTree).

CREATE TABLE IF NOT EXISTS scenarios (
  name String,
  timezone String,
  origin_lon Float64,
  origin_lat Float64,
  start DateTime64(3, 'UTC'),
  duration_s UInt32,
  description String,
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY name;

CREATE TABLE IF NOT EXISTS basemap_features (
  scenario LowCardinality(String),
  layer LowCardinality(String),
  feature_id String,
  name String,
  kind LowCardinality(String),
  geometry String,
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (scenario, layer, feature_id);

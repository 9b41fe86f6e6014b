-- Why a zone is not observed by an OD mode group in an hour (issue 10 item 3), a stable code or several joined by
-- ',': 'no-probe-no-count' (no probe sighting, no counted total), 'counts-do-not-identify' (counted lines and totals
-- reduce its cells' prior variance by less than 30 %), and for the all-modes group composed by mode
-- 'motor-unobserved', 'pedestrian-not-identified', 'bicycle-not-identified'. Empty when observed or estimated.
ALTER TABLE od_zone_coverage ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT '';

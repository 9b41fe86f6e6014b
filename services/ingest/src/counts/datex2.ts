/**
 * DATEX II v2 `MeasuredDataPublication` (TrafficFlow) → CountRecord.
 *
 * Read: every `siteMeasurements` with `measurementSiteReference/@id`, `measurementTimeDefault`, and each
 * `measuredValue[@index]/measuredValue/basicData` holding `vehicleFlow/vehicleFlowRate` (veh/h).
 * Speeds, occupancy and other basic data are ignored.
 *
 * A flow RATE becomes a COUNT for the measurement period: count = rate × periodS / 3600. The period comes
 * from `basicData/measurementOrCalculationPeriod` (seconds, DATEX II v2.x), else from
 * `options.periodS` (number or per-site function; in DATEX II the period usually lives in the
 * MeasurementSiteTable, which this adapter does not read) — otherwise PASSAGE_COUNTS_NO_PERIOD.
 * `measurementTimeDefault` (or the value's own `measurementOrCalculationTime`) is the END of the period by
 * default (`options.timeIs`).
 *
 * sensorId `datex2:<site id>/<measuredValue index>` (an index is one lane / vehicle class of the site in
 * its site table). mode: from `forVehiclesWithCharacteristicsOf/vehicleType` when present (mapped with
 * `options.vehicleTypeMode`, default car → 'car', lorry → 'truck', bus → 'bus', motorcycle →
 * 'motorcycle', bicycle → 'bicycle', van → 'van', anyVehicle → undefined), else `options.mode`.
 * `dataError` true or a missing rate → count null (a gap), with the period kept.
 */
import type { CountRecord } from '@passage/stream/contracts';
import { type CountsResult, fail, ok, parseIsoInstant } from './result.ts';
import { attr, child, children, descendants, parseXml, type XmlElement } from './xml.ts';

export interface Datex2Options {
  periodS?: number | ((siteId: string, index: string) => number | undefined);
  /** @default 'end' */
  timeIs?: 'start' | 'end';
  mode?: string;
  vehicleTypeMode?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_VEHICLE_MODES: Record<string, string | undefined> = {
  car: 'car',
  carOrLightVehicle: 'car',
  lorry: 'truck',
  heavyLorry: 'truck',
  bus: 'bus',
  motorcycle: 'motorcycle',
  bicycle: 'bicycle',
  van: 'van',
  anyVehicle: undefined,
};

function text(el: XmlElement | undefined): string | undefined {
  return el === undefined ? undefined : el.text.trim();
}

export function parseDatex2MeasuredData(xml: unknown, options: Datex2Options = {}): CountsResult {
  if (typeof xml !== 'string') return fail('PASSAGE_COUNTS_MALFORMED', 'expected XML text');
  const root = parseXml(xml);
  if (root === null) return fail('PASSAGE_COUNTS_MALFORMED', 'not well-formed XML');
  const pubs = root.local === 'payloadPublication' ? [root] : descendants(root, 'payloadPublication');
  const measured = pubs.filter((p) => (attr(p, 'type') ?? '').endsWith('MeasuredDataPublication'));
  if (measured.length === 0)
    return fail('PASSAGE_COUNTS_SCHEMA', 'no payloadPublication of type MeasuredDataPublication');
  const vehicleModes = options.vehicleTypeMode ?? DEFAULT_VEHICLE_MODES;
  const out: CountRecord[] = [];
  let s = 0;
  for (const pub of measured) {
    for (const site of children(pub, 'siteMeasurements')) {
      const at = `siteMeasurements ${s++}`;
      const ref = child(site, 'measurementSiteReference');
      const siteId = ref === undefined ? undefined : attr(ref, 'id');
      if (!siteId) return fail('PASSAGE_COUNTS_SCHEMA', `${at}: measurementSiteReference/@id missing`);
      const defaultTime = text(child(site, 'measurementTimeDefault'));
      for (const mv of children(site, 'measuredValue')) {
        const index = attr(mv, 'index') ?? '0';
        const inner = child(mv, 'measuredValue') ?? mv;
        const basic = child(inner, 'basicData');
        if (basic === undefined) continue;
        const flows = descendants(basic, 'vehicleFlowRate');
        const isFlow = flows.length > 0 || (attr(basic, 'type') ?? '').endsWith('TrafficFlow');
        if (!isFlow) continue;
        const where = `${at} (site ${siteId}, index ${index})`;
        const timeText = text(descendants(basic, 'measurementOrCalculationTime')[0]) ?? defaultTime;
        const t = parseIsoInstant(timeText);
        if (t === null) return fail('PASSAGE_COUNTS_TIME', `${where}: measurementTimeDefault missing or not ISO 8601`);
        const periodText = text(descendants(basic, 'measurementOrCalculationPeriod')[0]);
        let periodS: number | undefined = periodText !== undefined ? Number(periodText) : undefined;
        if (periodS === undefined) {
          periodS = typeof options.periodS === 'function' ? options.periodS(siteId, index) : options.periodS;
        }
        if (periodS === undefined || !Number.isFinite(periodS) || periodS <= 0) {
          return fail(
            'PASSAGE_COUNTS_NO_PERIOD',
            `${where}: the measurement period is unknown; set options.periodS (seconds) from the site table`,
          );
        }
        const start = (options.timeIs ?? 'end') === 'end' ? t - periodS * 1000 : t;
        const end = start + periodS * 1000;
        if (start < 0) return fail('PASSAGE_COUNTS_TIME', `${where}: period starts before 1970`);
        const dataError = text(child(inner, 'dataError') ?? child(mv, 'dataError')) === 'true';
        let count: number | null = null;
        if (!dataError && flows.length > 0) {
          const rate = Number(text(flows[0]));
          if (!Number.isFinite(rate) || rate < 0) {
            return fail('PASSAGE_COUNTS_SCHEMA', `${where}: vehicleFlowRate must be a number ≥ 0`);
          }
          count = (rate * periodS) / 3600;
        }
        const vt = text(descendants(basic, 'vehicleType')[0]);
        const mode = vt !== undefined && vt in vehicleModes ? vehicleModes[vt] : options.mode;
        const rec: CountRecord = { sensorId: `datex2:${siteId}/${index}`, start, end, count };
        if (mode !== undefined) rec.mode = mode;
        out.push(rec);
      }
    }
  }
  if (out.length === 0) return fail('PASSAGE_COUNTS_EMPTY', 'no TrafficFlow measured value');
  return ok(out);
}

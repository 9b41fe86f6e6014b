import type { Config } from '@passage/config';
import { jsonCodec, type SinkRole } from '@passage/stream';
import { type Static, Type } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 128 });

/**
 * `discharge.v1`, key = cameraId: anonymous queue-discharge aggregate of one camera's approach (and movement, or `'*'`
 * for the whole approach) over 15 minutes (`DischargeRow` of @passage/core): the saturated headways, their sum and
 * the PCU of the road users closing them. Additive: rows of one window are summed downstream.
 */
export const Discharge = Type.Object(
  {
    siteId: Id,
    cameraId: Id,
    fromZone: Id,
    toZone: Id,
    windowStart: Type.Number({ minimum: 0, description: 'milliseconds since the Unix epoch, UTC' }),
    headways: Type.Integer({ minimum: 0 }),
    headwaySumS: Type.Number({ minimum: 0 }),
    pcuSum: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Discharge = Static<typeof Discharge>;

/** `sink-discharge`: discharge.v1 → queue_discharge_15m (embedded and Kafka paths alike). */
export function dischargeSink(config: Config): SinkRole<Discharge> {
  return {
    name: 'sink-discharge',
    input: config.topics.discharge,
    codec: jsonCodec(Discharge),
    table: 'queue_discharge_15m',
    toRow: (v) => ({
      site_id: v.siteId,
      camera_id: v.cameraId,
      from_zone: v.fromZone,
      to_zone: v.toZone,
      window_start: Math.floor(v.windowStart / 1000),
      headways: v.headways,
      headway_sum_s: v.headwaySumS,
      pcu_sum: v.pcuSum,
    }),
  };
}

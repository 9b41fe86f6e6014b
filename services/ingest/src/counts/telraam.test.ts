import { readFileSync } from 'node:fs';
import { normaliseCounts } from '@passage/core';
import { describe, expect, it } from 'vitest';
import { parseTelraamReport } from './telraam.ts';

const text = readFileSync(new URL('./fixtures/segment-9000008311-2025-10-hourly.json', import.meta.url), 'utf8');
const file = JSON.parse(text) as { data: Array<Record<string, number | string | null>> };
const MODES = { car: 'car', heavy: 'heavy', bike: 'bicycle', pedestrian: 'pedestrian' } as const;

describe('parseTelraamReport on the real Karlsruhe segment (October 2025)', () => {
  const res = parseTelraamReport(text);
  if (!res.ok) throw new Error(res.detail);
  const recs = res.value;

  it('emits one record per hour × mode × direction', () => {
    expect(file.data.length).toBe(743);
    expect(recs.length).toBe(743 * 8);
    expect(recs[0]).toEqual({
      sensorId: 'telraam:9000008311',
      start: Date.parse('2025-10-01T00:00:00.000Z'),
      end: Date.parse('2025-10-01T01:00:00.000Z'),
      direction: 'lft',
      mode: 'car',
      count: null, // uptime 0: a gap, not Telraam's 0
      uptime: 0,
    });
  });

  it('keeps every published value bit for bit, uptime 0 becomes a gap', () => {
    const byKey = new Map(recs.map((r) => [`${r.start}|${r.mode}|${r.direction}`, r]));
    let gaps = 0;
    for (const row of file.data) {
      const t = Date.parse(row.date as string);
      for (const [field, mode] of Object.entries(MODES)) {
        for (const dir of ['lft', 'rgt']) {
          const r = byKey.get(`${t}|${mode}|${dir}`);
          expect(r?.uptime).toBe(row.uptime);
          if (row.uptime === 0) {
            expect(r?.count).toBeNull();
            gaps++;
          } else expect(r?.count).toBe(row[`${field}_${dir}`]);
        }
      }
    }
    expect(gaps).toBe((743 - 362) * 8);
  });

  it('hourly totals per mode after normalisation equal the file (to its 10-decimal rounding)', () => {
    const bins = normaliseCounts(recs, {
      interval: '1h',
      from: Date.parse('2025-10-01T00:00:00Z'),
      to: Date.parse('2025-11-01T00:00:00Z'),
    });
    expect(bins.length).toBe(744 * 8); // 744 hours in October (UTC), one of them missing in the file
    const missing = bins.filter((b) => b.start === Date.parse('2025-10-25T23:00:00Z'));
    expect(missing.every((b) => b.count === null && b.uptime === 0)).toBe(true);
    const hourly = new Map<string, number>();
    for (const b of bins) {
      if (b.count === null) continue;
      const k = `${b.start}|${b.mode}`;
      hourly.set(k, (hourly.get(k) ?? 0) + b.count);
    }
    let compared = 0;
    let exact = 0;
    const month: Record<string, number> = {};
    for (const row of file.data) {
      if (row.uptime === 0) continue;
      const t = Date.parse(row.date as string);
      for (const [field, mode] of Object.entries(MODES)) {
        const total = hourly.get(`${t}|${mode}`) as number;
        // lft + rgt vs the separately rounded total: within 1.5e-10 (three 10-decimal roundings).
        expect(Math.abs(total - (row[field] as number))).toBeLessThanOrEqual(1.5e-10);
        if (total === row[field]) exact++;
        compared++;
        month[mode] = (month[mode] ?? 0) + (row[field] as number);
      }
    }
    expect(compared).toBe(362 * 4);
    expect(exact).toBe(991);
    // Monthly totals of the file over its 362 counted hours.
    expect(month.car).toBeCloseTo(38933.27897646078, 6);
    expect(month.heavy).toBeCloseTo(5545.365990044408, 6);
    expect(month.bicycle).toBeCloseTo(31749.908778513305, 6);
    expect(month.pedestrian).toBeCloseTo(5581.274702367103, 6);
    // Per-bin values pass through unchanged.
    const b = bins.find(
      (x) => x.start === Date.parse('2025-10-01T05:00:00Z') && x.mode === 'car' && x.direction === 'lft',
    );
    expect(b).toMatchObject({ count: 7.5417416341, uptime: 0.49 });
  });

  it('15-minute bins split an hour uniformly and keep its uptime', () => {
    const bins = normaliseCounts(
      recs.filter((r) => r.mode === 'car' && r.direction === 'rgt'),
      { interval: '15m', from: Date.parse('2025-10-01T05:00:00Z'), to: Date.parse('2025-10-01T06:00:00Z') },
    );
    expect(bins.map((b) => b.count)).toEqual(Array(4).fill(49.3289801178 / 4));
    expect(bins.every((b) => b.uptime === 0.49 && b.disaggregated === true)).toBe(true);
  });
});

describe('parseTelraamReport on bad input', () => {
  it('never throws and says why', () => {
    expect(parseTelraamReport('{not json')).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_MALFORMED' });
    expect(parseTelraamReport({ foo: 1 })).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseTelraamReport({ report: [] })).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_EMPTY' });
    const row = { segment_id: 1, date: '2025-10-01T05:00:00.000Z', interval: 'hourly', uptime: 0.5, car_lft: 1 };
    expect(parseTelraamReport([{ ...row, date: 'yesterday' }])).toMatchObject({ reason: 'PASSAGE_COUNTS_TIME' });
    expect(parseTelraamReport([{ ...row, interval: 'weekly' }])).toMatchObject({ reason: 'PASSAGE_COUNTS_TIME' });
    expect(parseTelraamReport([{ ...row, uptime: 1.5 }])).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseTelraamReport([{ ...row, car_lft: -3 }])).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseTelraamReport([null])).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
  });

  it('reads the API response form and treats a missing mode as a gap for that mode only', () => {
    // First row of Telraam's documented API example (segment 348917, 2020-10-30 07:00Z, uptime 0.73).
    const res = parseTelraamReport({
      status_code: 200,
      message: 'ok',
      report: [
        {
          instance_id: -1,
          segment_id: 348917,
          date: '2020-10-30T07:00:00.000Z',
          interval: 'hourly',
          uptime: 0.73,
          heavy_lft: 52.0547945205,
          heavy_rgt: 26.0273972603,
          car_lft: 202.7397260274,
          car_rgt: 416.4383561644,
          bike_lft: 156.1643835616,
          bike_rgt: 106.8493150685,
          pedestrian_lft: 41.095890411,
          pedestrian_rgt: null,
        },
      ],
    });
    if (!res.ok) throw new Error(res.detail);
    expect(res.value).toHaveLength(8);
    const heavy = res.value.filter((r) => r.mode === 'heavy').map((r) => r.count as number);
    // Telraam's extrapolation: 57 heavy vehicles seen in 73 % of the hour → 78.08 for the hour.
    expect((heavy[0] + heavy[1]) * 0.73).toBeCloseTo(57, 8);
    expect(res.value.find((r) => r.mode === 'pedestrian' && r.direction === 'rgt')?.count).toBeNull();
  });
});

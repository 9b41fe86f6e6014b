/**
 * Probe-rate expansion of a probe OD matrix (Wi-Fi/BLE) when no counter of every mode stands at a single-access
 * zone (so no IPF margin exists for the group). docs/OD-AND-PRIVACY.md.
 *
 * Per zone z and period: D_z = distinct devices sighted at the zone's sighting sites (k-anonymous aggregate
 * counts, no tokens), C_z = people/vehicles counted by the counters located in the zone (all directions, all
 * modes they count; gaps imputed, faulty counters left out). Probe rate ρ_z = D_z / C_z: the share of the people
 * passing the zone whose device is sighted there.
 *
 * Zones without a usable rate (no counter, no devices, or ρ_z ≥ 1, impossible for a share: the counter covers
 * only part of the zone's flow, e.g. one street of a square) borrow the RATIO ESTIMATOR ρ̄ = Σ D / Σ C over the
 * zones with a usable rate (a combined ratio, weighted by traffic).
 *
 * Each observed cell is expanded independently (no IPF): T_od = n_od / (ρ_o · ρ_d), the inverse of the
 * probability that a trip o → d is sighted at both ends, assuming sightings at the two ends are independent.
 * (They are not entirely: a traveller without a detectable device is missed at both ends, so the estimator is
 * biased upward by 1/c where c is the share of travellers carrying a device, and downward by the share of
 * devices that change address mid-trip or are seen by different radios at the two ends; neither is observable
 * from aggregate counts.)
 *
 * Uncertainty (delta method on log T, Poisson counts, independent): Var(T)/T² ≈ 1/n_od + Σ_ends (1/D + 1/C)
 * with D, C the sums behind each end's rate (the pooled sums for a ratio-estimated zone); an intra-zone cell
 * (o = d) uses 4·(1/D + 1/C) (ρ² has twice the relative error).
 */
import type { OdCellLike } from '../privacy/kanon.ts';

export interface ProbeZoneRate {
  zone: string;
  /** Distinct devices (k-anonymous sum over the zone's sites). */
  devices: number;
  /** Counted people/vehicles of the zone's counters (0 = none). */
  counted: number;
  rate: number;
  source: 'probe-rate' | 'probe-ratio';
}

export interface ProbeRateResult {
  cells: OdCellLike[];
  zones: ProbeZoneRate[];
  /** Pooled rate ρ̄ (undefined when no zone has a usable rate: then nothing is expanded). */
  pooledRate?: number;
}

/**
 * Expands `cells` (one period, one mode group) by 1 / (ρ_o · ρ_d). `devices` and `counted` are per zone.
 * Returns the cells with `expanded` and `expandedStdErr`; without any usable rate, expanded = observed.
 */
export function expandByProbeRate(
  cells: readonly OdCellLike[],
  devices: ReadonlyMap<string, number>,
  counted: ReadonlyMap<string, number>,
): ProbeRateResult {
  let sumD = 0;
  let sumC = 0;
  const usable = new Map<string, { d: number; c: number }>();
  for (const [z, c] of counted) {
    const d = devices.get(z) ?? 0;
    if (c > 0 && d > 0 && d < c) {
      usable.set(z, { d, c });
      sumD += d;
      sumC += c;
    }
  }
  const pooled = sumC > 0 ? sumD / sumC : undefined;
  const zones = new Map<string, ProbeZoneRate & { relVar: number }>();
  const zoneRate = (z: string) => {
    let r = zones.get(z);
    if (r === undefined) {
      const u = usable.get(z);
      r =
        u !== undefined
          ? { zone: z, devices: u.d, counted: u.c, rate: u.d / u.c, source: 'probe-rate', relVar: 1 / u.d + 1 / u.c }
          : {
              zone: z,
              devices: devices.get(z) ?? 0,
              counted: counted.get(z) ?? 0,
              rate: pooled as number,
              source: 'probe-ratio',
              relVar: 1 / sumD + 1 / sumC,
            };
      zones.set(z, r);
    }
    return r;
  };
  const out: OdCellLike[] = [];
  for (const c of cells) {
    if (pooled === undefined || c.trips <= 0) {
      out.push({ ...c, expanded: c.trips, expandedStdErr: c.trips > 0 ? Math.sqrt(c.trips) : undefined });
      continue;
    }
    const o = zoneRate(c.origin);
    const d = zoneRate(c.destination);
    const expanded = c.trips / (o.rate * d.rate);
    const relVar = 1 / c.trips + (c.origin === c.destination ? 4 * o.relVar : o.relVar + d.relVar);
    out.push({ ...c, expanded, expandedStdErr: expanded * Math.sqrt(relVar) });
  }
  return {
    cells: out,
    zones: [...zones.values()].map(({ relVar: _, ...z }) => z),
    ...(pooled !== undefined ? { pooledRate: pooled } : {}),
  };
}

/**
 * Calendar of a deployment: public holidays from the maintained `date-holidays` library (country and region,
 * e.g. FR, AU-VIC), and events the operator stores (market days, works, festivals, school holidays imported from
 * the official calendar: `date-holidays` has no school holidays for France or Victoria).
 *
 * Known library limitation (measured on 2012–2013): `date-holidays` 3.x lists "AFL Grand Final Friday" for
 * Victoria in 2012 and 2013, though that holiday exists only since 2015; an operator can override a day with an
 * event of kind `not-holiday`.
 */
import { PassageError } from '@passage/config';
import Holidays from 'date-holidays';

export const EVENT_KINDS = [
  'market',
  'works',
  'festival',
  'school-holidays',
  'closure',
  'intervention',
  'not-holiday',
  'other',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface CalendarEvent {
  id: string;
  kind: EventKind;
  name: string;
  /** First local date, `YYYY-MM-DD`. */
  from: string;
  /** Last local date (inclusive). */
  to: string;
  /** e.g. `FR-A` for school holidays of zone A; '' = everywhere. */
  region?: string;
  /** Sensors concerned; empty = every sensor. */
  sensors?: string[];
}

export interface CalendarOptions {
  /** ISO country code, e.g. `FR`, `AU`. */
  country: string;
  /** Region of `date-holidays` (e.g. `VIC`, or `67` for Bas-Rhin). */
  state?: string;
  /** School zone for school-holiday events (`A`, `B`, `C` in France): matches events of region `FR-A`… */
  schoolZone?: string;
  events?: readonly CalendarEvent[];
}

export class Calendar {
  private readonly hd: Holidays;
  private readonly byYear = new Map<number, Map<string, string>>();
  private readonly events: readonly CalendarEvent[];
  private readonly schoolRegion: string;

  constructor(readonly options: CalendarOptions) {
    this.hd = options.state ? new Holidays(options.country, options.state) : new Holidays(options.country);
    this.events = options.events ?? [];
    this.schoolRegion = options.schoolZone ? `${options.country}-${options.schoolZone}` : '';
  }

  /** A calendar of a country (and region) that `date-holidays` knows, else PASSAGE_CALENDAR_REGION. */
  static create(options: CalendarOptions): Calendar {
    if (!Calendar.supports(options.country, options.state)) {
      const r = options.state ? ` region "${options.state}"` : '';
      throw new PassageError(
        'PASSAGE_CALENDAR_REGION',
        `date-holidays does not know country "${options.country}"${r}. Use ISO codes, e.g. FR, AU --region VIC.`,
      );
    }
    return new Calendar(options);
  }

  /** Whether `date-holidays` knows the country (and region). */
  static supports(country: string, state?: string): boolean {
    const hd = new Holidays();
    const countries = hd.getCountries() as Record<string, string> | undefined;
    if (!countries || !(country in countries)) return false;
    if (!state) return true;
    const states = hd.getStates(country) as Record<string, string> | undefined;
    return !!states && state in states;
  }

  /** Name of the public holiday on a local date, or null. */
  publicHoliday(date: string): string | null {
    if (this.eventsOn(date).some((e) => e.kind === 'not-holiday')) return null;
    const y = Number(date.slice(0, 4));
    let m = this.byYear.get(y);
    if (m === undefined) {
      m = new Map();
      for (const h of this.hd.getHolidays(y) as { date: string; type: string; name: string }[]) {
        if (h.type === 'public' || h.type === 'bank') m.set(h.date.slice(0, 10), h.name);
      }
      this.byYear.set(y, m);
    }
    return m.get(date) ?? null;
  }

  /** A school-holiday event of the configured zone (or of no region) covers the date. */
  schoolHoliday(date: string): boolean {
    return this.eventsOn(date).some(
      (e) => e.kind === 'school-holidays' && (!e.region || e.region === this.schoolRegion),
    );
  }

  /** Events on a date, for a sensor when given (events without sensors concern all). */
  eventsOn(date: string, sensor?: string): CalendarEvent[] {
    return this.events.filter(
      (e) =>
        e.from <= date &&
        date <= e.to &&
        (sensor === undefined || !e.sensors || e.sensors.length === 0 || e.sensors.includes(sensor)),
    );
  }
}

/**
 * School holidays from the French Ministry of Education's open-data calendar (`fr-en-calendrier-scolaire`, CSV
 * with `;`: Description;Population;Date de début;Date de fin;Académies;Zones;annee_scolaire). One event per
 * (description, zone, school year); the end date of the file is the day classes resume, so the last holiday is the
 * day before.
 */
export function parseFrenchSchoolCalendar(text: string): CalendarEvent[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const head = lines[0].split(';').map((h) => h.trim().toLowerCase());
  const col = (name: string) => head.findIndex((h) => h.startsWith(name));
  const iDesc = col('description');
  const iFrom = col('date de d');
  const iTo = col('date de fin');
  const iZone = col('zones');
  const iPop = col('population');
  if (iDesc < 0 || iFrom < 0 || iTo < 0 || iZone < 0) return [];
  const seen = new Map<string, CalendarEvent>();
  for (const l of lines.slice(1)) {
    const c = l.split(';');
    const zone = /Zone ([ABC])/i.exec(c[iZone] ?? '')?.[1]?.toUpperCase();
    if (!zone) continue;
    if (iPop >= 0 && /enseignants/i.test(c[iPop] ?? '')) continue;
    const from = (c[iFrom] ?? '').slice(0, 10);
    const resume = Date.parse(`${(c[iTo] ?? '').slice(0, 10)}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !Number.isFinite(resume)) continue;
    const to = new Date(resume - 86_400_000).toISOString().slice(0, 10);
    const id = `school-FR-${zone}-${from}`;
    seen.set(id, { id, kind: 'school-holidays', name: (c[iDesc] ?? '').trim(), from, to, region: `FR-${zone}` });
  }
  return [...seen.values()].sort((a, b) => a.from.localeCompare(b.from));
}

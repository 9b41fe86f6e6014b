import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config';
import { Calendar, EVENT_KINDS, type EventKind, parseFrenchSchoolCalendar } from '@passage/footfall';
import {
  insertCalendarEvents,
  listCalendarEvents,
  migrate,
  openStore,
  type StoredEvent,
  storeOptionsFromConfig,
} from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage calendar <holidays|add|list|import> [options]
  holidays --year Y [--country FR] [--region VIC]
      Public holidays of the year from the date-holidays library (default footfall.country/region).
  add --kind ${EVENT_KINDS.join('|')} --name <text> --from D [--to D] [--region FR-A] [--sensors a,b] [--id <id>]
      Stores an operator event (local dates, inclusive); re-adding an --id replaces it.
  list [--from D] [--to D]
      Events overlapping the range, as JSON.
  import --french-school <fr-en-calendrier-scolaire.csv>
      School holidays of zones A/B/C from the Ministry of Education's open-data calendar (CSV with ';').
      (date-holidays has no school holidays for France or Victoria: import or add them as events.)`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseFlags('calendar', rest, {
    ...COMMON,
    year: { type: 'string' },
    country: { type: 'string' },
    region: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    sensors: { type: 'string' },
    id: { type: 'string' },
    'french-school': { type: 'string' },
  });
  if (values.help || !sub || sub === '--help' || sub === '-h') {
    console.log(help);
    return 0;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  if (sub === 'holidays') {
    const country = (values.country as string | undefined) ?? ctx.config.footfall.country;
    const region = (values.region as string | undefined) ?? ctx.config.footfall.region;
    const year = Number(values.year ?? new Date().getUTCFullYear());
    const cal = Calendar.create({ country, state: region || undefined });
    const out: { date: string; name: string }[] = [];
    for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
      const date = new Date(t).toISOString().slice(0, 10);
      const name = cal.publicHoliday(date);
      if (name) out.push({ date, name });
    }
    console.log(JSON.stringify(out));
    return 0;
  }
  let events: StoredEvent[] = [];
  if (sub === 'add') {
    const kind = values.kind as EventKind | undefined;
    const from = values.from as string | undefined;
    const to = (values.to as string | undefined) ?? from;
    if (
      !kind ||
      !EVENT_KINDS.includes(kind) ||
      !values.name ||
      !from ||
      !DATE.test(from) ||
      !to ||
      !DATE.test(to) ||
      to < from
    ) {
      throw new PassageError(
        'PASSAGE_CLI_USAGE',
        `calendar add needs --kind ${EVENT_KINDS.join('|')} --name <text> --from YYYY-MM-DD [--to YYYY-MM-DD ≥ from].`,
      );
    }
    const sensors = typeof values.sensors === 'string' ? values.sensors.split(',').filter(Boolean) : [];
    events = [
      {
        id: (values.id as string | undefined) ?? randomUUID(),
        kind,
        name: values.name as string,
        from,
        to,
        region: (values.region as string | undefined) ?? '',
        sensors,
      },
    ];
  } else if (sub === 'import') {
    const file = values['french-school'] as string | undefined;
    if (!file) throw new PassageError('PASSAGE_CLI_USAGE', 'calendar import needs --french-school <file.csv>.');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new PassageError('PASSAGE_INGEST_FILE', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code}.`);
    }
    events = parseFrenchSchoolCalendar(text).map((e) => ({ ...e, region: e.region ?? '', sensors: e.sensors ?? [] }));
    if (events.length === 0) {
      throw new PassageError(
        'PASSAGE_CALENDAR_FILE',
        `${file} holds no school holiday of zone A, B or C (expected the fr-en-calendrier-scolaire CSV, ';').`,
      );
    }
  } else if (sub !== 'list') {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      `Unknown calendar subcommand '${sub}'. Run \`passage calendar --help\`.`,
    );
  }
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    await migrate(store.client);
    if (sub === 'list') {
      console.log(
        JSON.stringify(
          await listCalendarEvents(store.client, {
            from: values.from as string | undefined,
            to: values.to as string | undefined,
          }),
        ),
      );
    } else {
      await insertCalendarEvents(store.client, events);
      console.log(JSON.stringify({ stored: events.length, ids: events.map((e) => e.id) }));
    }
  } finally {
    await store.close();
  }
  return 0;
}

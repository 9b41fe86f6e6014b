import { PassageError } from '@passage/config';
import {
  DATASETS,
  type Dataset,
  dataExtent,
  type ExportFormat,
  exportDataset,
  migrate,
  openStore,
  storeOptionsFromConfig,
} from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage export --dataset <name> --from <date> --to <date> [--format csv|parquet|geojson] --out <dir>
               [--interval 1h|1d] [--k <n>] [--data <dir>] [--config <file>]
  Writes an open-data dataset into <dir> and adds it to <dir>/datapackage.json (licence: Licence Ouverte 2.0).
  Datasets: counting  sites.csv, channels.csv, measures.csv in the national counting schema (CSV only)
            od        OD flows between zones, hourly (CSV or Parquet)
            footfall  pedestrian counts by site, hourly (CSV or Parquet)
            sites     sites as GeoJSON
  Cells below k (default privacy.k / PASSAGE_K_ANONYMITY) are suppressed; the rule is written in datapackage.json.
  Dates: 2026-03-10 or 2026-03-10T07:30:00Z (UTC unless a zone is given); --to is exclusive.
  Exit code 1 when a file has no rows (no sites registered, no data in the period, or every cell below k): the
  message says which file, what the store holds and what to do.`;

const DEFAULT_FORMAT: Record<Dataset, ExportFormat> = { counting: 'csv', od: 'csv', footfall: 'csv', sites: 'geojson' };

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('export', argv, {
    ...COMMON,
    dataset: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    interval: { type: 'string' },
    k: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  for (const f of ['dataset', 'from', 'to', 'out'] as const) {
    if (!values[f]) throw new PassageError('PASSAGE_CLI_USAGE', `--${f} is required. Run \`passage export --help\`.`);
  }
  const dataset = values.dataset as Dataset;
  if (!(DATASETS as readonly string[]).includes(dataset)) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--dataset must be one of ${DATASETS.join(', ')}.`);
  }
  const interval = (values.interval as string | undefined) ?? '1h';
  if (interval !== '1h' && interval !== '1d') {
    throw new PassageError('PASSAGE_CLI_USAGE', '--interval must be 1h or 1d (open data is never finer than hourly).');
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const k = values.k === undefined ? ctx.config.privacy.k : Number(values.k);
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    // A store nothing was ingested into yet has no tables: create them, so the answer is "no rows", not an SQL error.
    await migrate(store.client);
    const r = await exportDataset({
      store,
      dataset,
      from: values.from as string,
      to: values.to as string,
      format: ((values.format as string | undefined) ?? DEFAULT_FORMAT[dataset]) as ExportFormat,
      outDir: values.out as string,
      k,
      interval,
    });
    for (const f of r.files) console.log(`${f.path}\t${f.rows} rows\t${f.bytes} bytes`);
    console.log(`${r.datapackage}\t(k = ${k}, ${r.suppressedCells} cell(s) suppressed)`);
    const empty = r.files.filter((f) => f.rows === 0);
    if (empty.length === 0) return 0;
    // An export with nothing in it is not a success (issue 11): say which file, what the store holds, what to do.
    const extent = await dataExtent(store.client);
    const held = extent
      ? `the store holds data from ${new Date(extent.from).toISOString()} to ${new Date(extent.to).toISOString()}`
      : 'the store holds no counts, line counts or OD data';
    const names = empty.map((f) => f.path).join(', ');
    const why =
      r.suppressedCells > 0
        ? `every one of the ${r.suppressedCells} cell(s) is below k = ${k} (suppressed)`
        : empty.some((f) => /sites\.(csv|geojson)$/.test(f.path))
          ? 'no site is registered (load a site registry: `passage sites validate`, then ingest or replay with it)'
          : 'nothing was stored in that period';
    console.error(
      `passage export: no rows in ${names}: ${why}; ${held} (${store.location}). Check --from/--to and --data, or ingest first (\`passage ingest\`, \`passage replay\`).`,
    );
    return 1;
  } finally {
    await store.close();
  }
}

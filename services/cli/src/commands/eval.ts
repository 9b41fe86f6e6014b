import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassageError } from '@passage/config';
import { evaluateStored, formatOdDetail, formatReport } from '@passage/sim';
import { openStore, storeOptionsFromConfig } from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage eval <scenario-dir> [--data <dir>] [--json] [--interval <s>]
  Compares what the pipeline stored (embedded store in --data, or CLICKHOUSE_URL) with the scenario's ground
  truth (<scenario-dir>/truth): line counts (GEH per line × 15-min cell, total error per mode group), turning
  movements (GEH per movement × 15 min), OD (GEH per OD × 15 min), counters, travel times.
  Exit code 0 whatever the result; the JSON report has "pass" per table.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('eval', argv, {
    ...COMMON,
    json: { type: 'boolean' },
    interval: { type: 'string', default: '900' },
  });
  if (values.help || positionals.length !== 1) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const dir = resolve(positionals[0]);
  let scenario: { start: number; durationS: number };
  try {
    scenario = JSON.parse(readFileSync(resolve(dir, 'scenario.json'), 'utf8'));
  } catch (cause) {
    throw new PassageError('PASSAGE_SCENARIO_NOT_FOUND', `No scenario.json in ${dir}: give a scenario directory.`, {
      cause,
    });
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    const { report, odDetail } = await evaluateStored(store.client, dir, scenario, {
      lineCountIntervalS: Number(values.interval),
    });
    if (!report) {
      throw new PassageError(
        'PASSAGE_EVAL_NO_OUTPUT',
        `The store at ${store.location} holds no aggregates for this scenario's period: run \`passage replay ${positionals[0]} --data ${ctx.dataDir}\` first.`,
      );
    }
    if (values.json) console.log(JSON.stringify(odDetail ? { ...report, odDetail } : report, null, 2));
    else console.log([formatReport(report), ...(odDetail ? ['', ...formatOdDetail(odDetail)] : [])].join('\n'));
    return 0;
  } finally {
    await store.close();
  }
}

import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config';
import { evalMot, formatMotMetrics } from '@passage/core';
import { parseFlags } from '../args.ts';

export const help = `passage eval-mot <gt.txt> <hyp.txt> [--json]
  Scores a MOTChallenge hypothesis against ground truth like py-motmetrics (IoU matching, threshold 0.5):
  MOTA, MOTP (1 − IoU), IDF1, IDP, IDR, recall, precision, MT/PT/ML, FP, FN, ID switches, fragmentations.`;

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PassageError('PASSAGE_FILE_NOT_FOUND', `Cannot read ${path}: check the path.`, { cause });
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('eval-mot', argv, {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help || positionals.length !== 2) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const m = evalMot(read(positionals[0]), read(positionals[1]));
  console.log(values.json ? JSON.stringify(m, null, 2) : formatMotMetrics(m));
  return 0;
}

/**
 * The `passage` command in a child process, awaited (for the CLI's tests): asynchronous, so a long replay or
 * ingest does not block the test worker (whose RPC with the runner must stay answered on a loaded machine).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The CLI's entry point in this checkout. */
export const PASSAGE_BIN = join(resolve(import.meta.dirname, '..'), 'bin/passage.js');

export function runPassage(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [PASSAGE_BIN, ...args], {
      env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', KAFKA_BROKERS: '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b;
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b;
    });
    child.on('close', (code) => done({ code, out, err }));
  });
}

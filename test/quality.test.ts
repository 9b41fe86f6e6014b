/**
 * Lint, format and type checks run as part of the tests: a change that breaks them fails `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.ts';

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', maxBuffer: 32 << 20 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`.slice(-6000) };
}

describe('code quality', () => {
  it('biome: lint and format are clean', () => {
    const r = run(`${REPO}/node_modules/.bin/biome`, ['check', '--diagnostic-level=error', '.']);
    expect(r.code, r.out).toBe(0);
  });

  it('tsc: the whole repository type-checks (strict)', () => {
    const r = run(process.execPath, [`${REPO}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json', '--noEmit']);
    expect(r.code, r.out).toBe(0);
  });
});

/**
 * The production build runs without tsx: after `npm run build` (CI builds before testing), the compiled CLI under the
 * `passage-dist` condition answers --help and validates a real site registry, with a resolve hook that refuses any
 * `tsx` import. Without a build (a developer's checkout) the test is skipped, except under CI=true where the build
 * must be there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BUILT = existsSync(join(ROOT, 'services/cli/dist/.build-stamp'));
// A resolve hook that refuses tsx, registered by --import (files in a temporary folder).
const HOOKS = mkdtempSync(join(tmpdir(), 'passage-no-tsx-'));
writeFileSync(
  join(HOOKS, 'hooks.mjs'),
  'export async function resolve(s, c, next) {\n' +
    "  if (s === 'tsx' || s.startsWith('tsx/')) throw new Error('tsx imported in production: ' + s);\n" +
    '  return next(s, c);\n}\n',
);
writeFileSync(
  join(HOOKS, 'register.mjs'),
  "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
);
const NO_TSX = pathToFileURL(join(HOOKS, 'register.mjs')).href;
afterAll(() => rmSync(HOOKS, { recursive: true, force: true }));

function prod(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['--conditions=passage-dist', '--import', NO_TSX, join(ROOT, 'services/cli/dist/main.js'), ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 },
  );
}

describe.skipIf(!BUILT && process.env.CI !== 'true')('the compiled CLI (npm run build)', () => {
  it('is built', () => {
    expect(BUILT).toBe(true);
  });

  it('answers --help and validates the chartres-centre registry without tsx', () => {
    const help = prod('--help');
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: passage <command>');
    const r = prod('sites', 'validate', join(ROOT, 'infra/scenarios/chartres-centre/registry.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { errors: unknown[] };
    expect(report.errors).toEqual([]);
  });

  it('the hook does refuse tsx (the check above can fail)', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', NO_TSX, '--input-type=module', '-e', "await import('tsx/esm/api')"],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('tsx imported in production');
  });
});

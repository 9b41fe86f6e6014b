/**
 * README.md stays a short front page (issue 16): at most 8 KB, a quick start of exactly two commands, and every
 * relative link it gives points at a file of the repo.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.ts';

const path = join(REPO, 'README.md');
const readme = readFileSync(path, 'utf8');

describe('README.md front page', () => {
  it('is at most 8 KB', () => {
    expect(statSync(path).size).toBeLessThanOrEqual(8 * 1024);
  });

  it('has a quick start of exactly two commands', () => {
    const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start'));
    expect(section, 'a "## Quick start" section').toBeDefined();
    const block = /```sh\n([\s\S]*?)```/.exec(section ?? '');
    expect(block, 'a sh code block in the quick start').not.toBeNull();
    const commands = (block?.[1] ?? '').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(commands).toHaveLength(2);
  });

  it('links only to files that exist', () => {
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((t) => !/^[a-z]+:/.test(t));
    expect(targets.length).toBeGreaterThanOrEqual(10);
    expect(targets.filter((t) => !existsSync(join(REPO, t)))).toEqual([]);
  });
});

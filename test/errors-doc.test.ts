/**
 * docs/ERRORS.md documents every error code a user can see: each `'PASSAGE_…'` string literal in the TypeScript
 * sources (services, models, infra; tests excluded) and each dead-letter reason of the runtime. A code added in the
 * code but not in the doc fails, and so does a code the doc lists but the code no longer uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.ts';

const ROOTS = ['services', 'models', 'infra'];
const SKIP_DIRS = new Set(['node_modules', 'fixtures', 'dist', '.tmp']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) sourceFiles(p, out);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out;
}

const files = ROOTS.flatMap((r) => sourceFiles(join(REPO, r)));
const sources = files.map((f) => ({ path: relative(REPO, f), text: readFileSync(f, 'utf8') }));
const doc = readFileSync(join(REPO, 'docs/ERRORS.md'), 'utf8');

/** Codes in the first cell of the doc's table rows (`| \`CODE\` | …`). */
const documented = [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]);

/** code → files that use it as a string literal. */
function usedCodes(pattern: RegExp): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const s of sources) {
    for (const m of s.text.matchAll(pattern)) {
      const at = used.get(m[1]) ?? [];
      if (!at.includes(s.path)) at.push(s.path);
      used.set(m[1], at);
    }
  }
  return used;
}

function compare(used: Map<string, string[]>, listed: Set<string>) {
  const missing = [...used.keys()]
    .filter((c) => !listed.has(c))
    .sort()
    .map((c) => `${c} (${used.get(c)?.join(', ')})`);
  const stale = [...listed].filter((c) => !used.has(c)).sort();
  return { missing, stale };
}

describe('docs/ERRORS.md', () => {
  it('documents every PASSAGE_ error code in use, and no other', () => {
    const used = usedCodes(/'(PASSAGE_[A-Z0-9_]+)'/g);
    const listed = new Set(documented.filter((c) => c.startsWith('PASSAGE_')));
    expect(used.size).toBeGreaterThan(50); // the scan found the sources
    const { missing, stale } = compare(used, listed);
    // missing: used in the sources, not documented; stale: documented, used nowhere in the sources.
    expect({ missing, stale }, 'docs/ERRORS.md is out of date').toEqual({ missing: [], stale: [] });
  });

  it('documents every dead-letter reason, and no other', () => {
    const codec = readFileSync(join(REPO, 'services/stream/src/codec.ts'), 'utf8');
    const union = /export type DeadLetterReason =([^;]+);/.exec(codec)?.[1] ?? '';
    const used = new Map<string, string[]>(
      [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => [m[1], ['services/stream/src/codec.ts']]),
    );
    expect(used.size).toBeGreaterThanOrEqual(7);
    // Reasons written directly into a DeadLetter by a role (e.g. UNKNOWN_CAMERA in video-flows).
    for (const [code, at] of usedCodes(/\breason: '([A-Z][A-Z0-9_]*)'/g)) {
      used.set(code, [...new Set([...(used.get(code) ?? []), ...at])]);
    }
    expect(used.has('UNKNOWN_CAMERA')).toBe(true);
    const listed = new Set(documented.filter((c) => !c.startsWith('PASSAGE_')));
    const { missing, stale } = compare(used, listed);
    expect({ missing, stale }, 'dead-letter reasons in docs/ERRORS.md are out of date').toEqual({
      missing: [],
      stale: [],
    });
  });
});

/**
 * docs/CONFIGURATION.md quotes the schema's defaults: every key named in the key column of its tables exists in the
 * loaded configuration and its documented default equals `loadConfig({ env: {} })`'s value; every key of the schema
 * is named somewhere on the page (or covered by a `prefix.*` mention). A default changed in
 * `services/config/src/schema.ts` without the page fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.ts';

const doc = readFileSync(join(REPO, 'docs/CONFIGURATION.md'), 'utf8');
const config = loadConfig({ env: {} }) as unknown as Record<string, unknown>;

function at(path: string): unknown {
  let cur: unknown = config;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Leaf keys of the configuration (an empty object or an array is a leaf). */
function leaves(o: unknown, prefix = '', out: string[] = []): string[] {
  if (o !== null && typeof o === 'object' && !Array.isArray(o) && Object.keys(o).length > 0) {
    for (const [k, v] of Object.entries(o)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push(prefix);
  return out;
}

/** The documented default text → the value it stands for; 'empty' stands for '', [] or {}. */
function parseDefault(text: string): { empty: true } | { value: unknown } {
  const t = text.split(' = ')[0].replace(/`/g, '').trim();
  if (t === 'empty' || t === '(empty)' || t === 'none') return { empty: true };
  try {
    return { value: JSON.parse(t) };
  } catch {
    return { value: t };
  }
}

interface Row {
  line: string;
  keys: string[];
  defaults: string[];
}

/** Rows of the tables whose header has a `key` and a `default` column. */
function rows(): Row[] {
  const out: Row[] = [];
  let keyCol = -1;
  let defCol = -1;
  for (const line of doc.split('\n')) {
    if (!line.startsWith('|')) {
      keyCol = defCol = -1;
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (keyCol < 0) {
      keyCol = cells.indexOf('key');
      defCol = cells.indexOf('default');
      continue;
    }
    if (defCol < 0 || cells[0].startsWith('---')) continue;
    const keys = [...cells[keyCol].matchAll(/`([A-Za-z][A-Za-z0-9.*]*)`/g)].map((m) => m[1]);
    const parts = cells[defCol].split(/,\s+/);
    const defaults = keys.length > 1 && parts.length === keys.length ? parts : keys.map(() => cells[defCol]);
    out.push({ line, keys, defaults });
  }
  return out;
}

describe('docs/CONFIGURATION.md defaults equal the schema', () => {
  const table = rows();

  it('reads the tables (about every key of the schema)', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  it('every documented key exists and its default is the loaded default', () => {
    const wrong: string[] = [];
    for (const r of table) {
      r.keys.forEach((key, i) => {
        if (key.endsWith('.*')) return;
        const actual = at(key);
        if (actual === undefined) {
          wrong.push(`${key}: not a configuration key`);
          return;
        }
        const d = parseDefault(r.defaults[i]);
        const ok =
          'empty' in d
            ? actual === '' ||
              (Array.isArray(actual) && actual.length === 0) ||
              (typeof actual === 'object' && actual !== null && Object.keys(actual).length === 0)
            : JSON.stringify(d.value) === JSON.stringify(actual);
        if (!ok) wrong.push(`${key}: documented ${r.defaults[i]}, schema ${JSON.stringify(actual)}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it('every key of the schema is named on the page', () => {
    const named = new Set([...doc.matchAll(/`([A-Za-z][A-Za-z0-9.*]*)`/g)].map((m) => m[1]));
    const missing = leaves(config).filter(
      (k) => !named.has(k) && !k.split('.').some((_, i, a) => named.has(`${a.slice(0, i).join('.')}.*`)),
    );
    expect(missing).toEqual([]);
  });
});

/**
 * The workspace packages form a layered, acyclic graph: `@passage/core` depends on nothing of ours, no package
 * reaches itself through its runtime dependencies, and every `@passage/*` import in a package's non-test source is
 * declared in its package.json (runtime imports as dependencies; tests and fixtures may use dev dependencies).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };

interface Pkg {
  name: string;
  dir: string;
  deps: string[];
  devDeps: string[];
}

const pkgs: Pkg[] = root.workspaces.map((w) => {
  const j = JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8'));
  const ours = (o: Record<string, string> | undefined) => Object.keys(o ?? {}).filter((k) => k.startsWith('@passage/'));
  return { name: j.name, dir: join(ROOT, w), deps: ours(j.dependencies), devDeps: ours(j.devDependencies) };
});
const byName = new Map(pkgs.map((p) => [p.name, p]));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e === 'dist' || e.startsWith('.')) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|js)$/.test(e)) out.push(p);
  }
  return out;
}

const isTestFile = (f: string): boolean => /\.test\.ts$|\/fixtures\/|\/test\/|harness\.ts$|vite\.config\.ts$/.test(f);

describe('workspace packages', () => {
  it('core depends on nothing of ours', () => {
    expect(byName.get('@passage/core')?.deps).toEqual([]);
  });

  it('runtime dependencies between our packages have no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'open') {
        cycles.push([...path.slice(path.indexOf(name)), name].join(' → '));
        return;
      }
      state.set(name, 'open');
      for (const d of byName.get(name)?.deps ?? []) walk(d, [...path, name]);
      state.set(name, 'done');
    };
    for (const p of pkgs) walk(p.name, []);
    expect(cycles).toEqual([]);
  });

  it('every @passage import is declared (runtime code: in dependencies)', () => {
    const missing: string[] = [];
    for (const p of pkgs) {
      for (const f of sources(p.dir)) {
        const text = readFileSync(f, 'utf8');
        for (const m of text.matchAll(/(?:from|import\()\s*'(@passage\/[\w-]+)/g)) {
          const dep = m[1];
          if (dep === p.name) continue;
          const declared = isTestFile(f) ? [...p.deps, ...p.devDeps] : p.deps;
          if (!declared.includes(dep)) missing.push(`${relative(ROOT, f)} imports ${dep}`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});

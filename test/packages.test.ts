/**
 * The workspace packages form a layered, acyclic graph: `@passage/core` depends on nothing of ours, no package
 * reaches itself through its dependencies (runtime or dev), and every `@passage/*` import in a package's non-test
 * source is declared in its package.json (runtime imports as dependencies; tests and fixtures may use dev
 * dependencies). The production closure (what `npm ci --omit=dev --workspace @passage/cli` installs in the Docker
 * runtime image) holds no training, bundler, test runner or simulator; every runtime package builds to dist/; and
 * compose.yaml / the Dockerfile only use commands, roles, environment variables and files that exist.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ENV } from '@passage/config';
import { roleNames } from '@passage/workers';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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
    // A nested workspace (models/mode-classifier/training) is a package of its own.
    if (statSync(p).isDirectory()) {
      if (!existsSync(join(p, 'package.json'))) out.push(...sources(p));
    } else if (/\.[cm]?[tj]sx?$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * CLI commands that only a full (development) install can run: they load lazily and a production install answers
 * PASSAGE_DEV_DEPENDENCY_MISSING (services/cli/src/main.ts), so they may import the CLI's dev dependencies.
 */
const DEV_COMMANDS = ['demo', 'eval', 'replay', 'signals', 'sim', 'sites-export', 'stack'].map(
  (c) => `services/cli/src/commands/${c}.ts`,
);

/**
 * The `@passage/*` packages a source file loads, in every form a module can be named: `import … from`, `export … from`,
 * side-effect `import '…'`, `import(…)` (any spacing), `require(…)`, `import.meta.resolve(…)`, single or double
 * quotes or backticks. (A footfall import in the API went unnoticed when this test was not run before a commit; the
 * forms it did not read — side-effect imports, double quotes, `.mjs`/`.cts`/`.tsx` files — are read now.)
 */
function passageImports(text: string): string[] {
  const re = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\(|\bimport\.meta\.resolve\s*\()\s*['"`](@passage\/[\w-]+)/g;
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))];
}

// Dev-only files: tests, fixtures, harnesses, and a package's scripts/ (evaluation studies, never built to dist/).
const isTestFile = (f: string): boolean =>
  /\.test\.ts$|\/fixtures\/|\/test\/|\/scripts\/|harness\.ts$|vite\.config\.ts$/.test(f);

describe('workspace packages', () => {
  it('core depends on nothing of ours', () => {
    expect(byName.get('@passage/core')?.deps).toEqual([]);
  });

  it('dependencies between our packages (runtime and dev) have no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'open') {
        cycles.push([...path.slice(path.indexOf(name)), name].join(' → '));
        return;
      }
      state.set(name, 'open');
      const p = byName.get(name);
      for (const d of [...(p?.deps ?? []), ...(p?.devDeps ?? [])]) walk(d, [...path, name]);
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
        for (const dep of passageImports(text)) {
          if (dep === p.name) continue;
          const dev = isTestFile(f) || DEV_COMMANDS.includes(relative(ROOT, f));
          const declared = dev ? [...p.deps, ...p.devDeps] : p.deps;
          if (!declared.includes(dep)) missing.push(`${relative(ROOT, f)} imports ${dep}`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('reads every form of import (an undeclared one cannot hide in a form the check does not read)', () => {
    const src = [
      "import { beforeAfter } from '@passage/footfall/before-after';",
      'import type { X } from "@passage/core";',
      "import '@passage/stream';",
      "export * from '@passage/store/queries/od';",
      'const a = await import (\n  `@passage/registry`);',
      "const b = require('@passage/ingest');",
      "const c = import.meta.resolve('@passage/sim/build/index');",
      "const d = 'from the @passage/api docs'; // prose, not an import",
    ].join('\n');
    expect(passageImports(src).sort()).toEqual(
      [
        '@passage/core',
        '@passage/footfall',
        '@passage/ingest',
        '@passage/registry',
        '@passage/sim',
        '@passage/store',
        '@passage/stream',
      ].sort(),
    );
  });
});

type LockEntry = {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  link?: boolean;
  resolved?: string;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** Names of every package that a production install of `start` pulls in: runtime dependencies, transitively. */
function productionClosure(start: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  // Node's resolution: the nearest node_modules/<name> walking up from the dependent's folder.
  const locate = (name: string, from: string): string | undefined => {
    let dir = from;
    for (;;) {
      const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!dir) return undefined;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i >= 0 ? dir.slice(0, i) : '';
    }
  };
  const visit = (key: string, name: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    names.add(name);
    let entry = lock.packages[key];
    let from = key;
    if (entry?.link && entry.resolved) {
      from = entry.resolved;
      entry = lock.packages[from];
    }
    for (const d of Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies })) {
      const k = locate(d, from);
      if (k) visit(k, d);
    }
  };
  visit(`node_modules/${start}`, start);
  return names;
}

describe('production packaging', () => {
  const BUILT = [
    '@passage/config',
    '@passage/core',
    '@passage/stream',
    '@passage/registry',
    '@passage/store',
    '@passage/ingest',
    '@passage/sim',
    '@passage/footfall',
    '@passage/mode-classifier',
    '@passage/workers',
    '@passage/api',
    '@passage/cli',
  ];

  it('the worker/API runtime image (production closure of @passage/cli) has no TF.js, Vite, vitest, tsx or simulator', () => {
    const closure = productionClosure('@passage/cli');
    expect(closure.has('@passage/workers')).toBe(true);
    expect(closure.has('onnxruntime-node')).toBe(true);
    expect(closure.size).toBeGreaterThan(50);
    // The walker does see them where they belong: the dev-only training workspace pulls TF.js and the simulator.
    const training = productionClosure('@passage/mode-classifier-training');
    expect(training.has('@tensorflow/tfjs')).toBe(true);
    expect(training.has('@passage/sim')).toBe(true);
    const banned = [...closure].filter((n) =>
      /^@tensorflow\/|^vite$|^vitest$|^tsx$|^typescript$|^@passage\/(sim|dashboard|mode-classifier-training|kafka-local)$/.test(
        n,
      ),
    );
    expect(banned).toEqual([]);
  });

  it('every runtime package builds to dist/ and exports it under the passage-dist condition', () => {
    const refs = (
      JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { references: { path: string }[] }
    ).references.map((r) => r.path);
    for (const name of BUILT) {
      const p = byName.get(name);
      expect(p, name).toBeDefined();
      const dir = relative(ROOT, p?.dir ?? '');
      expect(refs, name).toContain(`${dir}/tsconfig.build.json`);
      const j = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
      expect(j.exports['.'], name).toEqual({
        'passage-dist': { types: './dist/index.d.ts', default: './dist/index.js' },
        default: './src/index.ts',
      });
      const cfg = JSON.parse(readFileSync(join(ROOT, dir, 'tsconfig.build.json'), 'utf8'));
      // tsc -b references: every runtime dependency among the built packages, and only declared packages (the CLI's
      // development-only commands also reference its dev dependency @passage/sim).
      const dirOf = (deps: string[]) => deps.filter((d) => BUILT.includes(d)).map((d) => byName.get(d)?.dir);
      const referenced: string[] = cfg.references.map((r: { path: string }) => resolve(ROOT, dir, r.path, '..'));
      expect(referenced, name).toEqual(expect.arrayContaining(dirOf(p?.deps ?? [])));
      expect(dirOf([...(p?.deps ?? []), ...(p?.devDeps ?? [])]), name).toEqual(expect.arrayContaining(referenced));
    }
  });

  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };
  const ours = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('passage-'));
  const main = readFileSync(join(ROOT, 'services/cli/src/main.ts'), 'utf8');
  const commands = new Set([...main.matchAll(/^ {2}'?([a-z-]+)'?: \{/gm)].map((m) => m[1]));

  it('compose.yaml runs Kafka, ClickHouse, the migrations, every processor role and the API', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'clickhouse', 'migrate', 'api']));
    const roles = ours.flatMap(([, s]) => {
      const i = s.command?.indexOf('--role') ?? -1;
      return i >= 0 ? (s.command?.[i + 1]?.split(',') ?? []) : [];
    });
    // Every processor role and the sink run somewhere (the per-table sinks are parts of `sink`).
    const needed = roleNames().filter((r) => !r.startsWith('sink-'));
    expect([...new Set(roles)].sort()).toEqual(needed.sort());
  });

  it('compose.yaml uses only CLI commands, roles and environment variables that exist', () => {
    expect(commands.size).toBeGreaterThan(10);
    expect(commands.has('worker')).toBe(true);
    const known = new Set(roleNames());
    const problems: string[] = [];
    for (const [name, s] of ours) {
      const [cmd, ...args] = s.command ?? [];
      if (!commands.has(cmd)) problems.push(`${name}: unknown command ${cmd}`);
      const i = args.indexOf('--role');
      for (const r of i >= 0 ? args[i + 1].split(',') : [])
        if (!known.has(r)) problems.push(`${name}: unknown role ${r}`);
      for (const k of Object.keys(s.environment ?? {})) if (!(k in ENV)) problems.push(`${name}: unknown env ${k}`);
    }
    expect(problems).toEqual([]);
  });

  it('the Dockerfile installs the production closure and runs the compiled CLI', () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(docker).toMatch(/npm ci --omit=dev [^\n]*--workspace @passage\/cli/);
    expect(docker).toContain('NODE_OPTIONS=--conditions=passage-dist');
    expect(docker).toContain('ENTRYPOINT ["node", "services/cli/dist/main.js"]');
    expect(existsSync(join(ROOT, 'services/cli/tsconfig.build.json'))).toBe(true);
    // Files the build stage copies into the runtime image exist in the repository.
    for (const f of [
      'models/mode-classifier/model.onnx',
      'models/mode-classifier/labels.json',
      'models/mode-classifier/gate.json',
      'services/store/geo',
      'services/cli/bin',
      'services/footfall/model',
      'infra/clickhouse',
      'infra/registry',
    ]) {
      expect(docker, f).toContain(f);
      expect(existsSync(join(ROOT, f)), f).toBe(true);
    }
    for (const t of ['build', 'runtime', 'worker', 'api']) expect(docker).toMatch(new RegExp(`^FROM .* AS ${t}$`, 'm'));
    const targets = new Set(ours.map(([, s]) => (s as { build?: { target?: string } }).build?.target));
    expect([...targets].sort()).toEqual(['api', 'worker']);
  });
});

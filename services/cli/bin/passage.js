#!/usr/bin/env node
// Entry of the `passage` command.
// - Production (after `npm run build`): runs the compiled CLI (services/cli/dist) with plain Node, resolving every
//   @passage/* package to its dist/ through the `passage-dist` export condition. No tsx.
// - Development (no dist, dist older than the sources, `stack`, or PASSAGE_FROM_SOURCE=1): runs the TypeScript sources
//   through tsx (a dev dependency). Before `demo`/`api`, rebuilds the dashboard when its sources changed since the
//   last build, with a progress line (PASSAGE_DASHBOARD_REBUILD=0 turns it off).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST_MAIN = new URL('../dist/main.js', import.meta.url);
const SOURCE_MAIN = new URL('../src/main.ts', import.meta.url);

/** Newest modification time (ms) of the files under `dirs` (missing folders are skipped). */
function newest(dirs, keep = () => true) {
  let t = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (keep(e.name)) t = Math.max(t, statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return t;
}

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

const packageSources = () => {
  const services = readdirSync(`${ROOT}services`).map((d) => `${ROOT}services/${d}/src`);
  return newest(
    [...services, `${ROOT}models/mode-classifier/src`],
    (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'),
  );
};

/** Written at the end of `npm run build` (scripts/copy-assets.mjs). */
const built = mtime(fileURLToPath(new URL('../dist/.build-stamp', import.meta.url)));
const command = process.argv[2];
// `stack` starts the development Kafka broker (@passage/kafka-local, TypeScript, a dev dependency): always from source.
const fromSource =
  process.env.PASSAGE_FROM_SOURCE === '1' ||
  command === 'stack' ||
  !existsSync(DIST_MAIN) ||
  built === 0 ||
  (existsSync(fileURLToPath(SOURCE_MAIN)) && packageSources() > built);

if (fromSource && (command === 'demo' || command === 'api')) rebuildDashboardIfStale();

if (fromSource) {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(SOURCE_MAIN.href);
} else {
  // Equivalent to `node --conditions=passage-dist`: @passage/* packages resolve to their compiled dist/.
  register(
    `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) {' +
        " return next(s, c.conditions.includes('passage-dist') ? c : { ...c, conditions: [...c.conditions, 'passage-dist'] });" +
        ' }',
    )}`,
  );
  await import(DIST_MAIN.href);
}

/** Development only: `vite build` of the dashboard when dashboards/dist is missing or older than its sources. */
function rebuildDashboardIfStale() {
  if (process.env.PASSAGE_DASHBOARD_REBUILD === '0' || process.env.VITEST) return;
  const dir = `${ROOT}dashboards`;
  const vite = `${ROOT}node_modules/vite/bin/vite.js`;
  if (!existsSync(`${dir}/src`) || !existsSync(vite)) return;
  const index = `${dir}/dist/index.html`;
  const sources = Math.max(
    newest([`${dir}/src`], (n) => !n.endsWith('.test.ts')),
    mtime(`${dir}/index.html`),
    mtime(`${dir}/vite.config.ts`),
  );
  if (existsSync(index) && mtime(index) >= sources) return;
  const t0 = Date.now();
  process.stderr.write(
    `passage: ${existsSync(index) ? 'dashboard sources changed since the last build' : 'dashboard not built yet'}: ` +
      'building it (vite build, under a minute)...\n',
  );
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: dir, stdio: 'inherit' });
  process.stderr.write(
    r.status === 0
      ? `passage: dashboard built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`
      : 'passage: dashboard build failed (see above): the API serves without it. Fix it, or run `npm run build`.\n',
  );
}

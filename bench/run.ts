/**
 * `npm run bench`: runs every bench module (bench/*.ts exporting `run(): Promise<Record<string, number>>`),
 * each in its own process (chDB binds one data directory per process), prints a table and writes
 * `.bench/latest.json`. `npm run bench -- tracker backbone` runs only the named modules; `soak` and `faults` run only
 * when named, with their options after the name (`npm run bench -- soak --minutes 30`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const HERE = resolve(import.meta.dirname);
const args = process.argv.slice(2);
const only = args.filter((a) => /^[a-z][a-z0-9-]*$/.test(a));
/** Long runs (a 30-minute soak, the fault matrix on a 3-broker cluster): only when named. */
const OPT_IN = new Set(['soak', 'faults']);
const modules = readdirSync(HERE)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((m) => (only.length === 0 ? !OPT_IN.has(m) : only.includes(m)))
  .sort();

const results: Record<string, Record<string, number> | { error: string }> = {};
for (const m of modules) {
  process.stderr.write(`bench ${m}…\n`);
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(join(HERE, `${m}.ts`))}).then((mod) => mod.run()).then((r) => { process.stdout.write('\\n@@BENCH@@' + JSON.stringify(r) + '\\n'); process.exit(0); }, (e) => { console.error(e); process.exit(1); })`,
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      // Options after the module names (`npm run bench -- soak --minutes 30`) reach the module here.
      env: { ...process.env, PASSAGE_LOG_LEVEL: 'error', PASSAGE_BENCH_ARGS: JSON.stringify(args) },
      maxBuffer: 64 << 20,
    },
  );
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@BENCH@@'));
  results[m] = line ? JSON.parse(line.slice(9)) : { error: `exit ${r.status}` };
  process.stderr.write(`bench ${m} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const rows: [string, string, string][] = [];
for (const [m, r] of Object.entries(results)) {
  for (const [k, v] of Object.entries(r))
    rows.push([m, k, typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : String(v)]);
}
const w0 = Math.max(6, ...rows.map((r) => r[0].length));
const w1 = Math.max(6, ...rows.map((r) => r[1].length));
console.log(`${'module'.padEnd(w0)}  ${'metric'.padEnd(w1)}  value`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);

const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  results,
};
mkdirSync(resolve(HERE, '../.bench'), { recursive: true });
writeFileSync(resolve(HERE, '../.bench/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log('\nwrote .bench/latest.json');
if (Object.values(results).some((r) => 'error' in r)) process.exitCode = 1;

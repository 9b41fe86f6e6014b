import { openStore, migrate, lineCounts, turningMovements, odFlows, footfall, sensorCounts, sensorHealth, listSites, getSite, basemap, siteVolumes, dataExtent, latestMinute, liveSince, exportDataset, validateCsv, countingSchema, parseCsv } from '@passage/store';
import { fillFixture } from './fixtures/aggregates.ts';
import { readFileSync } from 'node:fs';
const s = openStore({ dataDir: ':memory:' });
await migrate(s.client, process.env.MIG_DIR);
let t = performance.now();
const info = await fillFixture(s.client, { hours: 2 });
console.log('fill', info, (performance.now()-t).toFixed(0));
const r = { from: info.start, to: info.end };
t = performance.now();
console.log((await listSites(s.client)).length, (await getSite(s.client, 'site-r3a0'))?.cameras[0].lines.length);
console.log('basemap', (await basemap(s.client)).features.length);
console.log('vol', [...(await siteVolumes(s.client, r))].slice(0, 3));
console.log('extent', await dataExtent(s.client), await latestMinute(s.client));
console.log('lc', (await lineCounts(s.client, { ...r, site: 'site-r3a0', interval: '1h' })).length);
const tm = await turningMovements(s.client, { ...r, site: 'site-r3a0' });
console.log('tm', tm.movements.length, tm.intervals.length, tm.peakHour);
const od = await odFlows(s.client, { ...r, interval: '1h', k: 5 });
console.log('od', od.flows.length, od.suppressedCells, od.totals, od.flows[0]);
const ff = await footfall(s.client, { ...r, sites: ['site-ped-gare', 'site-r3a0'], interval: '1h' });
console.log('ff', JSON.stringify(ff).slice(0, 300));
console.log('sc', (await sensorCounts(s.client, { ...r, site: 'site-ped-gare', interval: '1h' })).slice(0,2));
console.log('sh', (await sensorHealth(s.client, r)).map(x => x.sensorId+':'+x.status).join(' '));
console.log('live', JSON.stringify(await liveSince(s.client, info.end - 180_000)).slice(0, 300));
console.log('queries ms', (performance.now()-t).toFixed(0));
for (const dataset of ['counting','od','footfall','sites'] as const) {
  const res = await exportDataset({ store: s, dataset, from: r.from, to: r.to, format: dataset==='sites'?'geojson':'csv', outDir: '/tmp/pa/exp', k: 5 });
  console.log(dataset, res.files.map(f=>`${f.path} ${f.rows}`), res.suppressedCells);
}
const pq = await exportDataset({ store: s, dataset: 'od', from: r.from, to: r.to, format: 'parquet', outDir: '/tmp/pa/exp', k: 5 });
console.log(pq.files);
for (const n of ['site','channel','measure'] as const) {
  const f = n === 'site' ? 'sites' : n+'s';
  const errs = validateCsv(countingSchema(n), readFileSync(`/tmp/pa/exp/${f}.csv`, 'utf8'));
  console.log(n, errs.length, errs.slice(0,3));
}
await s.close();

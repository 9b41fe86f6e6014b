import { simBuild } from '@passage/sim/build/index';

const r = await simBuild({ name: 'chartres-centre', outDir: process.argv[2], endS: Number(process.argv[3] ?? 600) });
console.log(JSON.stringify({ timings: r.timings, counts: r.counts, files: r.files }, null, 1));

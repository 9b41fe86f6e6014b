// Part of `npm run build`: copies the non-TypeScript files that compiled code reads next to itself (e.g. the
// national counting schema under services/store/src/export) from each package's src/ to its dist/, then writes
// services/cli/dist/.build-stamp (the CLI entry runs dist/ only when no source is newer than this stamp).
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = [
  ...readdirSync(join(root, 'services')).map((d) => join(root, 'services', d)),
  join(root, 'models/mode-classifier'),
];
let copied = 0;
for (const pkg of packages) {
  const src = join(pkg, 'src');
  const dist = join(pkg, 'dist');
  if (!existsSync(src) || !existsSync(dist)) continue;
  cpSync(src, dist, {
    recursive: true,
    filter: (p) => {
      if (statSync(p).isDirectory()) return true;
      if (p.endsWith('.ts')) return false;
      copied++;
      return true;
    },
  });
}
console.log(`build: ${copied} asset files copied to dist/`);
writeFileSync(join(root, 'services/cli/dist/.build-stamp'), `${new Date().toISOString()}\n`);

// Refreshes prebuilds/<platform>-<arch>/localgpt_native.node from a Release build, so `npx localgpt`
// needs no compiler on this platform. Run after changing native/: npm run native:prebuild
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
for (const args of [['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release'], ['--build', build, '-j2']]) {
  const r = spawnSync('cmake', args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const out = join(dir, 'localgpt_native.node');
copyFileSync(join(build, 'Release', 'localgpt_native.node'), out);
spawnSync('strip', ['--strip-unneeded', out], { stdio: 'inherit' });
console.log(`wrote ${out}`);

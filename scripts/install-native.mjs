// npm install hook: use a matching prebuild when there is one, else compile the addon with cmake.
// Never fails the install: without the addon the engine falls back to the reference backend
// and says so in one line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
if (process.env.LOCALGPT_SKIP_NATIVE === '1') {
  console.log('localgpt: skipping the native build (LOCALGPT_SKIP_NATIVE=1)');
  process.exit(0);
}
if (existsSync(prebuilds) && readdirSync(prebuilds).some((f) => f.endsWith('.node')) && process.env.LOCALGPT_BUILD_NATIVE !== '1') {
  console.log(`localgpt: using the prebuilt addon in ${prebuilds}`);
  process.exit(0);
}

const build = join(root, 'build');
const steps = [
  ['cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release']],
  ['cmake', ['--build', build, '-j2']],
];
for (const [cmd, args] of steps) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.warn(`localgpt: warning: could not build the native addon (${cmd} ${r.error ? r.error.message : `exited ${r.status}`}); the slow reference backend will be used`);
    process.exit(0);
  }
}
console.log('localgpt: native addon built');

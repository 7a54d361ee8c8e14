// Compiles the package into dist/ (JS, .d.ts, source maps) and copies the console's static
// assets beside their module. Run by `npm install` of the repository (prepare) and `npm pack`.
// The sources import each other with `.ts` extensions; tsc rewrites those to `.js` in the JS it
// emits but not in declarations, so the `.d.ts` files get the same rewrite here.
// The build goes to a folder of its own and then replaces dist/ in two renames, so that a
// process started from dist/ meanwhile (a test, the CLI) never sees it half written.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(root, `.dist-build-${process.pid}`);
rmSync(out, { recursive: true, force: true });
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit', cwd: root });
cpSync(join(root, 'plugin/console/assets'), join(out, 'plugin/console/assets'), { recursive: true });

const RELATIVE_TS = /((?:from\s+|import\s*\(\s*)['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;
for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const out = text.replace(RELATIVE_TS, '$1$2.js$3');
  if (out !== text) writeFileSync(file, out);
}

const old = join(root, `.dist-old-${process.pid}`);
try {
  renameSync(dist, old);
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });

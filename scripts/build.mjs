// Compiles the package into dist/ (JS, .d.ts, source maps) and copies the console's static
// assets beside their module. Run by `npm install` of the repository (prepare) and `npm pack`.
// The sources import each other with `.ts` extensions; tsc rewrites those to `.js` in the JS it
// emits but not in declarations, so the `.d.ts` files get the same rewrite here.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
cpSync(join(root, 'plugin/console/assets'), join(dist, 'plugin/console/assets'), { recursive: true });

const RELATIVE_TS = /((?:from\s+|import\s*\(\s*)['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const out = text.replace(RELATIVE_TS, '$1$2.js$3');
  if (out !== text) writeFileSync(file, out);
}

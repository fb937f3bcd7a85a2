// Builds when the sources are newer than the last build (used by `npm start` and the browser tests).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'e2e'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuild() {
  const stamp = join(root, 'dist/.build-stamp');
  const sources = ['protocol', 'server', 'web'].map((d) => join(root, d)).filter(existsSync);
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (Math.max(...sources.map(newestMtime), statSync(join(root, 'package.json')).mtimeMs) > built) {
    console.log('Building Chatify (first start or sources changed)...');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  }
}

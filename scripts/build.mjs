// Builds the server into dist/ (TypeScript, then the SQL migrations beside it) and the web client into web/dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(`${root}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit', cwd: root });
mkdirSync(`${root}dist/server/db`, { recursive: true });
cpSync(`${root}server/db/migrations`, `${root}dist/server/db/migrations`, { recursive: true });
const vite = createRequire(import.meta.url)
  .resolve('vite/package.json')
  .replace(/package\.json$/, 'bin/vite.js');
execFileSync(process.execPath, [vite, 'build', '--config', `${root}web/vite.config.ts`, '--logLevel', 'warn'], {
  stdio: 'inherit',
  cwd: root,
});
writeFileSync(`${root}dist/.build-stamp`, new Date().toISOString());
console.log('built dist/ and web/dist/');

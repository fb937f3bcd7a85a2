/**
 * Prints the functions with the most self time in the newest V8 CPU profile under
 * bench/results/profiles (written by `BENCH_CPU_PROF=1 npm run bench -- …`), and writes its
 * flame graph beside it: `<profile>.svg` (open it in a browser; hover a box for its figures)
 * and `<profile>.folded` (folded stacks, for flamegraph.pl, speedscope or inferno).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { callTree, flameGraphSvg, foldedStacks, frameName, type CpuProfile } from './flame-graph.js';

const dir = 'bench/results/profiles';
const file = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
// Shares of busy time (idle left out), as in the flame graph.
const total = profile.nodes.reduce((n, x) => n + (x.callFrame.functionName === '(idle)' ? 0 : (x.hitCount ?? 0)), 0);
const byFunction = new Map<string, number>();
for (const n of profile.nodes) {
  if (n.callFrame.functionName === '(idle)') continue;
  const name = frameName(n.callFrame);
  byFunction.set(name, (byFunction.get(name) ?? 0) + (n.hitCount ?? 0));
}
console.log(`${file}: ${total} busy samples`);
for (const [name, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
const tree = callTree(profile);
const stem = file.replace(/\.cpuprofile$/, '');
writeFileSync(`${stem}.svg`, flameGraphSvg(tree, basename(file)));
writeFileSync(`${stem}.folded`, foldedStacks(tree));
console.log(`\nflame graph: ${stem}.svg (folded stacks: ${stem}.folded)`);

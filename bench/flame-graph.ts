/**
 * Flame graphs of a V8 CPU profile (`--cpu-prof`): the call tree as boxes, each as wide as the
 * samples spent in it and what it called, callers below callees. Written as a self-contained
 * SVG (hover a box for its figures) and as folded stacks (`caller;callee count`, one line per
 * path), which flamegraph.pl, speedscope and inferno read. Idle time is left out: the graph is
 * the process's busy time.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
}

/** A frame of the call tree: samples in it (`self`) and in it and below (`total`). */
export interface Frame {
  name: string;
  self: number;
  total: number;
  children: Frame[];
}

/** Where a function lives, short: the package (and file) or the project file. */
export function frameName(f: CpuProfileNode['callFrame']): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  // A package by its own path (its dist/ kept: `pg-protocol/dist/parser.js`); the project's
  // files from their top folder (`server/…`, built or not).
  const where = f.url.includes('/node_modules/')
    ? f.url.replace(/^.*\/node_modules\//, '')
    : f.url.replace(/^.*\/dist\//, '').replace(/^file:\/\/.*?\/(?=(server|bench|protocol|web)\/)/, '');
  return `${name} ${where}:${f.lineNumber + 1}`;
}

/** The profile's call tree from its root, idle left out, children of one name merged, widest first. */
export function callTree(profile: CpuProfile): Frame {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const root = profile.nodes.find((n) => !childIds.has(n.id));
  if (!root) throw new Error('a CPU profile with no root node');
  const build = (ids: number[]): Frame[] => {
    const merged = new Map<string, { self: number; ids: number[] }>();
    for (const id of ids) {
      const n = byId.get(id);
      if (!n || n.callFrame.functionName === '(idle)') continue;
      const name = frameName(n.callFrame);
      const m = merged.get(name) ?? { self: 0, ids: [] };
      m.self += n.hitCount ?? 0;
      m.ids.push(...(n.children ?? []));
      merged.set(name, m);
    }
    return [...merged]
      .map(([name, m]) => {
        const children = build(m.ids);
        return { name, self: m.self, total: m.self + children.reduce((t, c) => t + c.total, 0), children };
      })
      .filter((f) => f.total > 0)
      .sort((a, b) => b.total - a.total);
  };
  const children = build(root.children ?? []);
  return { name: 'all', self: 0, total: children.reduce((t, c) => t + c.total, 0), children };
}

/** Folded stacks: one line per call path with samples of its own, `a;b;c samples`. */
export function foldedStacks(tree: Frame): string {
  const lines: string[] = [];
  const walk = (f: Frame, path: string[]) => {
    const here = [...path, f.name.replaceAll(';', ',')];
    if (f.self > 0) lines.push(`${here.join(';')} ${f.self}`);
    for (const c of f.children) walk(c, here);
  };
  for (const c of tree.children) walk(c, []);
  return lines.join('\n') + '\n';
}

const WIDTH = 1200;
const ROW = 17;
const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** A box's colour by where the code lives: the project, a package, Node's own, or native. */
function colour(name: string): string {
  if (/ (server|bench|protocol)\//.test(name)) return '#f2a541'; // ours
  if (/ node:/.test(name)) return '#b7b7c9'; // Node.js
  if (/ \S+:\d+$/.test(name)) return '#6fa8dc'; // a package
  return '#e06666'; // native: system calls, GC, the VM
}

/** The tree as an SVG flame graph; boxes narrower than `minWidth` pixels are left out. */
export function flameGraphSvg(tree: Frame, title: string, minWidth = 0.3): string {
  const widthOf = (f: Frame) => (tree.total > 0 ? (f.total / tree.total) * WIDTH : 0);
  const depthOf = (f: Frame): number =>
    Math.max(0, ...f.children.filter((c) => widthOf(c) >= minWidth).map((c) => 1 + depthOf(c)));
  const depth = depthOf(tree);
  const top = 24;
  // Callers below their callees: the root at the bottom.
  const y = (level: number) => top + (depth - level) * ROW;
  const boxes: string[] = [];
  const place = (f: Frame, x: number, level: number) => {
    const w = widthOf(f);
    if (w < minWidth) return;
    const share = tree.total > 0 ? ((f.total / tree.total) * 100).toFixed(2) : '0';
    const label = w > 30 ? f.name.slice(0, Math.floor((w - 6) / 6.5)) : '';
    boxes.push(
      `<g><title>${escapeXml(f.name)}: ${f.total} samples (${share}%), self ${f.self}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y(level)}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${level === 0 ? '#999' : colour(f.name)}" rx="2"/>` +
        (label ? `<text x="${(x + 3).toFixed(2)}" y="${y(level) + ROW - 5}">${escapeXml(label)}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const c of f.children) {
      place(c, cx, level + 1);
      cx += widthOf(c);
    }
  };
  place(tree, 0, 0);
  const height = top + (depth + 1) * ROW + 4;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="4" y="16" font-size="13">${escapeXml(title)}: ${tree.total} busy samples (orange: ours, blue: packages, grey: Node.js, red: native)</text>
${boxes.join('\n')}
</svg>
`;
}

import { describe, expect, it } from 'vitest';
import { callTree, flameGraphSvg, foldedStacks, frameName, type CpuProfile } from './flame-graph.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) -> main -> { send (3 self) -> writev (5), send again (1 self, merged), (idle) (100) }, (garbage collector) 2
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [2, 6, 7] },
    { id: 2, callFrame: frame('main', 'file:///app/dist/server/main.js', 9), hitCount: 0, children: [3, 5] },
    { id: 3, callFrame: frame('send', 'file:///app/node_modules/ws/lib/websocket.js', 99), hitCount: 3, children: [4] },
    { id: 4, callFrame: frame('writev'), hitCount: 5 },
    { id: 5, callFrame: frame('send', 'file:///app/node_modules/ws/lib/websocket.js', 99), hitCount: 1 },
    { id: 6, callFrame: frame('(idle)'), hitCount: 100 },
    { id: 7, callFrame: frame('(garbage collector)'), hitCount: 2 },
  ],
};

describe('flame graphs of a CPU profile', () => {
  it('names a frame by its function and where it lives, short', () => {
    expect(frameName(frame('store', 'file:///work/main/dist/server/messages/batcher.js', 226))).toBe(
      'store server/messages/batcher.js:227',
    );
    expect(frameName(frame('parseRow', 'file:///work/main/node_modules/pg/lib/result.js', 62))).toBe(
      'parseRow pg/lib/result.js:63',
    );
    expect(frameName(frame('run', 'file:///work/main/bench/run.ts', 0))).toBe('run bench/run.ts:1');
    expect(frameName(frame('parse', 'file:///work/main/node_modules/pg-protocol/dist/parser.js', 25))).toBe(
      'parse pg-protocol/dist/parser.js:26',
    );
    expect(frameName(frame('', 'node:events', 4))).toBe('(anonymous) node:events:5');
    expect(frameName(frame('writev'))).toBe('writev');
  });

  it('builds the call tree of busy time: idle left out, calls of one function merged, widest first', () => {
    const tree = callTree(profile);
    expect(tree.total).toBe(11);
    expect(tree.children.map((c) => [c.name, c.total, c.self])).toEqual([
      ['main server/main.js:10', 9, 0],
      ['(garbage collector)', 2, 2],
    ]);
    const send = tree.children[0]!.children;
    expect(send.map((c) => [c.name, c.total, c.self])).toEqual([['send ws/lib/websocket.js:100', 9, 4]]);
    expect(send[0]!.children.map((c) => [c.name, c.total])).toEqual([['writev', 5]]);
  });

  it('writes folded stacks, one line per path with samples of its own', () => {
    expect(foldedStacks(callTree(profile)).split('\n').filter(Boolean).sort()).toEqual([
      '(garbage collector) 2',
      'main server/main.js:10;send ws/lib/websocket.js:100 4',
      'main server/main.js:10;send ws/lib/websocket.js:100;writev 5',
    ]);
  });

  it('draws each frame as wide as its share, callees above callers, names escaped', () => {
    const svg = flameGraphSvg(callTree(profile), 'a <test> & more');
    expect(svg).toContain('a &lt;test&gt; &amp; more: 11 busy samples');
    const rect = (name: string) => {
      const m = new RegExp(`<title>${name}:[^<]*</title><rect x="([\\d.]+)" y="(\\d+)" width="([\\d.]+)"`).exec(svg);
      if (!m) throw new Error(`no box for ${name}`);
      return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]) };
    };
    const all = rect('all');
    const main = rect('main server/main\\.js:10');
    const gc = rect('\\(garbage collector\\)');
    const writev = rect('writev');
    expect(all.width).toBe(1200);
    expect(main.width).toBeCloseTo((1200 * 9) / 11, 1);
    expect(gc.x).toBeCloseTo(main.width, 1);
    expect(writev.width).toBeCloseTo((1200 * 5) / 11, 1);
    // The root at the bottom, each callee one row above its caller.
    expect(main.y).toBeLessThan(all.y);
    expect(writev.y).toBeLessThan(main.y);
    expect(svg).not.toContain('(idle)');
  });
});

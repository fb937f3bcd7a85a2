import { readFileSync } from 'node:fs';
import { format } from 'prettier';
import { expect, it } from 'vitest';
import { protocolMarkdown } from '../protocol/protocol-doc.js';
import { CLIENT_FRAME_TYPES, ServerPayloads } from '../protocol/frames.js';
import { CLIENT_FRAME_DOCS, SERVER_FRAME_DOCS } from '../protocol/frame-docs.js';

it('docs/protocol.md is what protocol/ generates (run `npm run docs:protocol` after changing a frame)', async () => {
  const committed = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
  // The same formatting as the generator (and as `prettier --check`, see .prettierrc).
  expect(committed).toBe(
    await format(protocolMarkdown(), { parser: 'markdown', printWidth: 120, proseWrap: 'preserve' }),
  );
});

it('every frame type, both ways, is described', () => {
  expect(Object.keys(CLIENT_FRAME_DOCS).sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
  expect(Object.keys(SERVER_FRAME_DOCS).sort()).toEqual(Object.keys(ServerPayloads).sort());
  for (const type of [...CLIENT_FRAME_TYPES, ...Object.keys(ServerPayloads)]) {
    expect(protocolMarkdown()).toContain(`### \`${type}\``);
  }
});

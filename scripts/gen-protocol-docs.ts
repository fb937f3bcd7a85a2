// Writes docs/protocol.md from the zod schemas in protocol/ (npm run docs:protocol).
import { writeFileSync } from 'node:fs';
import { format } from 'prettier';
import { protocolMarkdown } from '../protocol/protocol-doc.js';

writeFileSync(
  new URL('../docs/protocol.md', import.meta.url),
  await format(protocolMarkdown(), { parser: 'markdown', printWidth: 120, proseWrap: 'preserve' }),
);
console.log('wrote docs/protocol.md');

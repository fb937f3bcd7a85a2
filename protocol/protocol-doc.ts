import { z } from 'zod';
import { CLOSE_CODES, ClientPayloads, ServerPayloads, WS_LIMITS } from './frames.js';
import { CLIENT_FRAME_DOCS, SERVER_FRAME_DOCS } from './frame-docs.js';
import { ERROR_CODES } from './errors.js';

type Json = Record<string, unknown>;

/** A JSON-schema type in a few words: `string (1–4000)`, `"audio" | "video"`, `object`... */
function describe(s: Json): string {
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    return ((s.anyOf ?? s.oneOf) as Json[]).map(describe).join(' or ');
  }
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.type === 'array')
    return `array of ${describe((s.items as Json) ?? {})}${s.maxItems !== undefined ? ` (at most ${String(s.maxItems)})` : ''}`;
  const bounds = [
    s.minLength !== undefined || s.maxLength !== undefined
      ? `${String(s.minLength ?? 0)}–${String(s.maxLength ?? '∞')} chars`
      : '',
    s.minimum !== undefined || s.maximum !== undefined
      ? `${String(s.minimum ?? '−∞')}–${String(s.maximum ?? '∞')}`
      : '',
    typeof s.format === 'string' ? s.format : '',
  ].filter(Boolean);
  const type = Array.isArray(s.type) ? s.type.join(' or ') : typeof s.type === 'string' ? s.type : 'any JSON';
  return bounds.length ? `${type} (${bounds.join(', ')})` : type;
}

function payloadTable(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const variants = (json.anyOf as Json[] | undefined) ?? [json];
  return variants
    .map((v, i) => {
      const props = (v.properties ?? {}) as Record<string, Json>;
      const required = new Set((v.required as string[] | undefined) ?? []);
      const names = Object.keys(props);
      const head = variants.length > 1 ? `Form ${i + 1}:\n\n` : '';
      if (names.length === 0) return `${head}Payload: \`{}\`${v.type === 'object' ? '' : ` (${describe(v)})`}`;
      const rows = names.map((n) => `| \`${n}\` | ${describe(props[n]!)} | ${required.has(n) ? 'yes' : 'no'} |`);
      return `${head}| field | type | required |\n| --- | --- | --- |\n${rows.join('\n')}`;
    })
    .join('\n\n');
}

/** docs/protocol.md, generated from protocol/ so the two cannot drift (test/protocol-doc.test.ts). */
export function protocolMarkdown(): string {
  const section = (title: string, payloads: Record<string, z.ZodType>, docs: Record<string, string>) =>
    Object.entries(payloads)
      .map(([type, schema]) => `### \`${type}\`\n\n${docs[type]}\n\n${payloadTable(schema)}`)
      .join('\n\n');
  return `<!-- Generated from protocol/ by \`npm run docs:protocol\`; do not edit by hand. -->

# Chatify WebSocket protocol

Connect to \`/api/ws?token=<access token>\` (or connect without it and send \`auth\` first).
Every frame is JSON text: \`{"type": string, "payload": object, "id"?: string | number}\`.
A reply to a frame echoes its \`id\`. Frames of one socket are handled in order, with one
exception: \`chat_message\` frames in a row do not wait for each other's commit. They are stored in
the order sent (each conversation's seqs follow it) and each is acknowledged when its batch commits,
so acks to different conversations may arrive in another order. Any other frame waits until
every frame before it has been answered.

Limits: frames up to ${WS_LIMITS.maxFrameBytes / 1024} KiB (larger closes with 1009); \`auth\` within
${WS_LIMITS.authTimeoutMs / 1000} s; typing lasts ${WS_LIMITS.typingTtlMs / 1000} s without a refresh; \`sync\` takes up to
${WS_LIMITS.syncMaxConversations} conversations and returns up to ${WS_LIMITS.syncPageSize} messages each.

Close codes: ${Object.entries(CLOSE_CODES)
    .map(([name, code]) => `\`${code}\` ${name}`)
    .join(', ')}. On \`1012\` (restarting) reconnect at once (to another node) and resync.

Error codes (in \`error\` frames and HTTP error bodies): ${ERROR_CODES.map((c) => `\`${c}\``).join(', ')}.

## Client → server

${section('client', ClientPayloads as unknown as Record<string, z.ZodType>, CLIENT_FRAME_DOCS)}

## Server → client

${section('server', ServerPayloads as unknown as Record<string, z.ZodType>, SERVER_FRAME_DOCS)}
`;
}

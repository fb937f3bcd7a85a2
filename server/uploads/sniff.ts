/**
 * The type of a file from its first bytes: what a client says (name, Content-Type) is never
 * trusted. Executables and scripts are refused; text is plain text; anything unknown is
 * an opaque file (downloaded, never shown inline).
 */
export interface Sniffed {
  contentType: string;
  /** Why this file is not accepted, when it is not. */
  refused?: string;
}

const ascii = (head: Buffer, at: number, text: string) => head.toString('latin1', at, at + text.length) === text;
const bytes = (head: Buffer, at: number, list: number[]) => list.every((b, i) => head[at + i] === b);

/** Needs at least the first 64 bytes (fewer only when the file is shorter). */
export function sniff(head: Buffer): Sniffed {
  if (bytes(head, 0, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg' };
  if (bytes(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { contentType: 'image/png' };
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return { contentType: 'image/gif' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return { contentType: 'image/webp' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return { contentType: 'audio/wav' };
  if (ascii(head, 0, '%PDF-')) return { contentType: 'application/pdf' };
  if (bytes(head, 0, [0x50, 0x4b, 0x03, 0x04])) return { contentType: 'application/zip' };
  if (bytes(head, 0, [0x1f, 0x8b])) return { contentType: 'application/gzip' };
  if (ascii(head, 4, 'ftyp')) {
    const brand = head.toString('latin1', 8, 12);
    if (/^(heic|heix|mif1|msf1)$/.test(brand)) return { contentType: 'image/heic' };
    if (brand.startsWith('M4A')) return { contentType: 'audio/mp4' };
    if (brand === 'qt  ') return { contentType: 'video/quicktime' };
    return { contentType: 'video/mp4' };
  }
  if (bytes(head, 0, [0x1a, 0x45, 0xdf, 0xa3])) return { contentType: 'video/webm' };
  if (ascii(head, 0, 'OggS')) return { contentType: 'audio/ogg' };
  if (ascii(head, 0, 'ID3') || bytes(head, 0, [0xff, 0xfb])) return { contentType: 'audio/mpeg' };

  const program = 'Programs and scripts cannot be shared';
  if (ascii(head, 0, 'MZ')) return { contentType: 'application/x-msdownload', refused: program };
  if (bytes(head, 0, [0x7f, 0x45, 0x4c, 0x46])) return { contentType: 'application/x-executable', refused: program };
  for (const magic of [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
  ]) {
    if (bytes(head, 0, magic)) return { contentType: 'application/x-mach-binary', refused: program };
  }
  if (ascii(head, 0, '#!')) return { contentType: 'text/x-script', refused: program };

  return { contentType: isText(head) ? 'text/plain' : 'application/octet-stream' };
}

/** UTF-8 with no NUL and no control characters other than whitespace (a cut last character is fine). */
function isText(head: Buffer) {
  if (head.length === 0) return false;
  for (const b of head) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastWholeChar(head)));
    return true;
  } catch {
    return false;
  }
}

/** The length of `head` without a UTF-8 sequence cut at its end. */
function lastWholeChar(head: Buffer) {
  let i = head.length - 1;
  let back = 0;
  while (i >= 0 && back < 3 && (head[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return head.length;
  const lead = head[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > back + 1 ? i : head.length;
}

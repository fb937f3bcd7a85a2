import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanFilename } from './service.js';
import { sniff } from './sniff.js';
import { checkKey, createLocalStorage, type Storage } from './storage.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** `head` followed by filler, cut at 64 bytes as the upload route does. */
const head = (start: Buffer | string, fill = 0x00) =>
  Buffer.concat([Buffer.from(start), Buffer.alloc(64, fill)]).subarray(0, 64);

describe('sniff: the type comes from the bytes', () => {
  it.each([
    ['JPEG', head(hex('ffd8ffe000104a464946')), 'image/jpeg'],
    ['PNG', head(hex('89504e470d0a1a0a0000000d49484452')), 'image/png'],
    ['GIF87a', head('GIF87a'), 'image/gif'],
    ['GIF89a', head('GIF89a'), 'image/gif'],
    ['WebP', head(Buffer.concat([Buffer.from('RIFF'), hex('24000000'), Buffer.from('WEBPVP8 ')])), 'image/webp'],
    ['PDF', head('%PDF-1.7\n%\xe2\xe3'), 'application/pdf'],
    ['ZIP', head(hex('504b0304140000000800')), 'application/zip'],
    ['MP4', head(Buffer.concat([hex('00000018'), Buffer.from('ftypisom')])), 'video/mp4'],
    ['QuickTime', head(Buffer.concat([hex('00000014'), Buffer.from('ftypqt  ')])), 'video/quicktime'],
    ['HEIC', head(Buffer.concat([hex('00000018'), Buffer.from('ftypheic')])), 'image/heic'],
  ])('%s', (_name, bytes, type) => {
    expect(sniff(bytes)).toEqual({ contentType: type });
  });

  it('plain text, including text shorter than 64 bytes', () => {
    expect(sniff(Buffer.from('hello, world\r\n\tindented line\n'))).toEqual({ contentType: 'text/plain' });
    expect(sniff(Buffer.from('Grüße aus Köln — ✓ 日本語', 'utf8'))).toEqual({ contentType: 'text/plain' });
  });

  it.each([
    ['MZ (Windows)', head(hex('4d5a90000300000004000000ffff'))],
    ['ELF', head(hex('7f454c46020101'))],
    ['Mach-O 32', head(hex('feedface07000000'))],
    ['Mach-O 64', head(hex('feedfacf07000001'))],
    ['Mach-O 64, little-endian', head(hex('cffaedfe07000001'))],
    ['Mach-O, little-endian', head(hex('cefaedfe07000000'))],
    ['shell script', head('#!/bin/sh\nrm -rf ~\n', 0x20)],
    ['env script', head('#!/usr/bin/env python3\nprint(1)\n', 0x20)],
  ])('refuses programs and scripts: %s', (_name, bytes) => {
    const result = sniff(bytes);
    expect(result.refused).toMatch(/cannot be shared/);
  });

  it.each([
    ['HTML', '<!DOCTYPE html><html><script>alert(document.cookie)</script></html>'],
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'],
    ['XML-declared SVG', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'],
  ])('%s is only text, never an image or a page', (_name, text) => {
    expect(sniff(head(text, 0x20))).toEqual({ contentType: 'text/plain' });
  });

  it.each([
    [
      'invalid UTF-8 (a lone continuation byte)',
      head(Buffer.concat([Buffer.from('caf'), hex('80'), Buffer.from(' au lait')]), 0x20),
    ],
    ['invalid UTF-8 (an overlong encoding)', Buffer.concat([Buffer.from('abc'), hex('c0af'), Buffer.from('def')])],
    ['a NUL byte', head('text\0with nul', 0x20)],
    ['an escape character', head('\x1b[31mred\x1b[0m', 0x20)],
    ['random binary', hex('00010203deadbeef00ff7f80')],
    ['an empty head', Buffer.alloc(0)],
  ])('%s is an opaque file', (_name, bytes) => {
    expect(sniff(bytes)).toEqual({ contentType: 'application/octet-stream' });
  });

  it('a UTF-8 character cut by the 64-byte boundary still counts as text', () => {
    for (const char of ['é', '€', '😀']) {
      const whole = Buffer.from('a'.repeat(63) + char, 'utf8');
      expect(whole.length).toBeGreaterThan(64);
      expect(sniff(whole.subarray(0, 64)), char).toEqual({ contentType: 'text/plain' });
    }
    // …but a broken sequence before the end does not.
    const broken = Buffer.concat([Buffer.from('a'.repeat(30)), hex('e282'), Buffer.from('b'.repeat(32))]);
    expect(sniff(broken)).toEqual({ contentType: 'application/octet-stream' });
  });
});

describe('cleanFilename: a display name, never a path', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\x\\evil.exe', 'evil.exe'],
    ['/absolute/path/report.pdf', 'report.pdf'],
    ['..', 'file'],
    ['.', 'file'],
    ['a/..', 'file'],
    ['', 'file'],
    ['   ', 'file'],
    [undefined, 'file'],
    ['photo\u0000.png', 'photo.png'],
    ['line\nbreak\r\ttab\u007f.txt', 'linebreaktab.txt'],
    // "invoice_\u202Egpj.exe" would show as "invoice_exe.jpg".
    ['invoice_\u202egpj.exe', 'invoice_gpj.exe'],
    ['\u2066isolate\u2069\u202a\u202b\u202c\u202d.txt', 'isolate.txt'],
    ['  padded name.txt  ', 'padded name.txt'],
    ['Grüße 日本.txt', 'Grüße 日本.txt'],
  ])('%j → %j', (input, expected) => {
    expect(cleanFilename(input)).toBe(expected);
  });

  it('cuts names past 255 characters', () => {
    const name = cleanFilename('x'.repeat(300) + '.txt');
    expect(name).toBe('x'.repeat(255));
  });

  it('never cuts a character in half', () => {
    const name = cleanFilename('a'.repeat(254) + '😀😀.png');
    expect(name.length).toBeLessThanOrEqual(255);
    expect(name).toBe('a'.repeat(254));
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // no lone surrogate
  });
});

describe('storage keys', () => {
  const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('accepts only the keys the server makes', () => {
    expect(checkKey(id)).toBe(id);
    expect(checkKey(`${id}.thumb`)).toBe(`${id}.thumb`);
  });

  it.each([
    '../x',
    '..',
    'a/b',
    `../${id}`,
    `${id}/../../etc/passwd`,
    '/etc/passwd',
    `/${id}`,
    'C:\\Windows\\win.ini',
    `..\\${id}`,
    '.thumb',
    '',
    `${id}.thumb.thumb`,
    `${id}.exe`,
    `${id}\0`,
    `${id}\n`,
  ])('refuses %j', (key) => {
    expect(() => checkKey(key)).toThrow(/invalid storage key/);
  });

  describe('local storage', () => {
    let root: string;
    let outside: string;
    let storage: Storage;
    beforeAll(async () => {
      outside = await mkdtemp(path.join(tmpdir(), 'chatify-storage-'));
      root = path.join(outside, 'uploads');
      storage = createLocalStorage(root);
      await writeFile(path.join(outside, 'secret.txt'), 'do not read');
    });
    afterAll(async () => {
      await rm(outside, { recursive: true, force: true });
    });

    const read = async (body: Readable) => {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };

    it('stores under <root>/<first two characters>/<key> and reads it back', async () => {
      await storage.put(id, Buffer.from('hello'), 'text/plain', 5);
      await storage.put(`${id}.thumb`, Readable.from([Buffer.from('thumb')]), 'image/webp', 5);
      expect(await readdir(path.join(root, id.slice(0, 2)))).toEqual([id, `${id}.thumb`].sort());
      const got = await storage.get(id);
      expect(got?.size).toBe(5);
      expect(await read(got!.body)).toBe('hello');
      await storage.delete(id);
      expect(await storage.get(id)).toBeNull();
      await storage.delete(id); // deleting a missing key is fine
      expect(await storage.get(`${id}.thumb`)).not.toBeNull();
    });

    it.each(['../secret.txt', '../x', 'a/b', '/etc/passwd', '.thumb', '..'])(
      'refuses %j for put, get and delete',
      async (key) => {
        await expect(storage.put(key, Buffer.from('x'), 'text/plain', 1)).rejects.toThrow(/invalid storage key/);
        await expect(storage.get(key)).rejects.toThrow(/invalid storage key/);
        await expect(storage.delete(key)).rejects.toThrow(/invalid storage key/);
        expect(await readdir(outside)).toEqual(expect.arrayContaining(['secret.txt']));
      },
    );
  });
});

/**
 * Profile photos: a user sets, replaces and removes theirs; anyone signed in sees it where the
 * user's name shows (members, profiles, search); everyone who shares a chat hears of a change;
 * a replaced photo's bytes go; bad input is refused and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUserDisabled } from '../server/users/service.js';
import { createUser, type TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import {
  blankPng,
  download,
  fileForm,
  image,
  isStored,
  MAX_BYTES,
  putAvatar,
  storedFiles,
  useLocalUploads,
} from './helpers/uploads.js';
import { settle, WsClient } from './helpers/ws.js';

const until = async (check: () => Promise<boolean>, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await settle(50);
  }
};

/** A form with a text field before the photo. */
function withField() {
  const form = new FormData();
  form.append('caption', 'me');
  form.append('file', new Blob([new Uint8Array(8)], { type: 'image/png' }), 'me.png');
  return form;
}

describe('profile photos', () => {
  const t = useLocalUploads();
  let s: TestServer, alice: TestUser, bob: TestUser, carol: TestUser, direct: string;
  beforeAll(() => void ({ s, alice, bob, carol, direct } = t));

  const photoOf = (u: TestUser, avatarId: string) => download(s.base, u, `/api/users/${u.id}/avatar/${avatarId}`);
  const avatarIdOf = async (u: TestUser) =>
    (await s.http.get('/api/users/me', u.token)).body.avatar_id as string | null;

  it('a photo set is a square WebP without metadata that everyone signed in sees, and chats hear of it', async () => {
    const [bobSocket, aliceOther] = await Promise.all([bob, alice].map((u) => WsClient.connect(s.base, u.token)));
    try {
      // A landscape JPEG carrying a camera's metadata: the photo is its centre, cropped square.
      const jpeg = await image(1200, 800, '#c33')
        .jpeg()
        .withExif({ IFD0: { Copyright: 'Alice', Make: 'Phone' } })
        .toBuffer();
      expect((await sharp(jpeg).metadata()).exif).toBeDefined();
      const res = await putAvatar(s.base, alice, fileForm(jpeg, 'me.jpg', 'image/jpeg'));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const avatarId = res.body.avatar_id as string;
      expect(avatarId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body).toMatchObject({ id: alice.id, username: alice.username });

      // Her other device learns at once; Bob's app is told their chat changed, and reloads it.
      await aliceOther!.waitForType('self_updated', (p) => p.avatar_id === avatarId);
      await bobSocket!.waitForType('conversation_updated', (p) => p.conversation_id === direct);
      const chat = (await s.http.get(`/api/conversations/${direct}`, bob.token)).body;
      expect(chat.members.find((m: any) => m.id === alice.id).avatar_id).toBe(avatarId);
      expect(chat.members.find((m: any) => m.id === bob.id).avatar_id).toBeNull();

      // Carol shares no chat with Alice, yet sees her photo as she sees her name.
      expect((await s.http.get(`/api/users/${alice.id}`, carol.token)).body.avatar_id).toBe(avatarId);
      const found = (await s.http.get(`/api/users?query=${alice.username}`, carol.token)).body.users;
      expect(found.map((u: any) => [u.id, u.avatar_id])).toEqual([[alice.id, avatarId]]);
      const photo = await download(s.base, carol, `/api/users/${alice.id}/avatar/${avatarId}`);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/webp');
      expect(photo.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(photo.headers.get('content-security-policy')).toMatch(/\bsandbox\b/);
      expect(photo.headers.get('x-content-type-options')).toBe('nosniff');
      const meta = await sharp(photo.bytes).metadata();
      expect(meta).toMatchObject({ format: 'webp', width: 336, height: 336 });
      expect(meta.exif).toBeUndefined();
      expect(await avatarIdOf(alice)).toBe(avatarId);
      // Nobody is signed in: nothing.
      expect((await fetch(`${s.base}/api/users/${alice.id}/avatar/${avatarId}`)).status).toBe(401);
    } finally {
      await Promise.all([bobSocket, aliceOther].map((x) => x!.close()));
    }
  });

  it('a new photo replaces the old, whose address stops working and whose bytes go; removing leaves initials', async () => {
    const u = await createUser(s.http);
    const first = (await putAvatar(s.base, u, fileForm(await image(50, 80).png().toBuffer(), 'a.png'))).body.avatar_id;
    const second = await putAvatar(s.base, u, fileForm(await image(40, 40, '#33c').webp().toBuffer(), 'b.webp'));
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.avatar_id).not.toBe(first);
    expect((await photoOf(u, first)).status).toBe(404);
    expect((await photoOf(u, second.body.avatar_id)).status).toBe(200);
    await until(async () => !(await isStored(s, `${first}.avatar`)), 'the old photo’s bytes going');
    // A small image is enlarged to the square: every avatar is drawn from the same size.
    expect(await sharp((await photoOf(u, second.body.avatar_id)).bytes).metadata()).toMatchObject({
      width: 336,
      height: 336,
    });

    const removed = await s.http.del('/api/users/me/avatar', u.token);
    expect(removed.status).toBe(200);
    expect(removed.body.avatar_id).toBeNull();
    expect((await photoOf(u, second.body.avatar_id)).status).toBe(404);
    await until(async () => !(await isStored(s, `${second.body.avatar_id}.avatar`)), 'the removed photo’s bytes going');
    // Removing when there is none is no error.
    expect((await s.http.del('/api/users/me/avatar', u.token)).body.avatar_id).toBeNull();
  });

  it('refuses what is not a photo with a clear error, and keeps the photo there was', async () => {
    const u = await createUser(s.http);
    const kept = (await putAvatar(s.base, u, fileForm(await image(30, 30).png().toBuffer()))).body.avatar_id;
    const filesBefore = await storedFiles(t.dataDir);
    const cases: [FormData | string, number, string, RegExp, string?][] = [
      [fileForm(Buffer.from('just text\n'), 'me.png', 'image/png'), 415, 'unsupported_media_type', /not an image/],
      [fileForm(blankPng(10_000, 10_000), 'bomb.png', 'image/png'), 415, 'unsupported_media_type', /too many pixels/],
      [fileForm(Buffer.alloc(MAX_BYTES + 1, 1), 'big.jpg'), 413, 'payload_too_large', /at most 65\.5 KB\b/],
      [fileForm(await image(8, 8).png().toBuffer(), 'x.png', 'image/png', 'photo'), 400, 'validation_failed', /"file"/],
      [new FormData(), 400, 'validation_failed', /No photo/],
      [withField(), 400, 'validation_failed', /one photo/],
      ['{"file":"x"}', 415, 'unsupported_media_type', /multipart/, 'application/json'],
    ];
    for (const [form, status, code, message, type] of cases) {
      const res = await putAvatar(s.base, u, form, type);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
    }
    expect(await avatarIdOf(u)).toBe(kept);
    expect(await storedFiles(t.dataDir)).toEqual(filesBefore);
    expect((await putAvatar(s.base, null, fileForm(await image(8, 8).png().toBuffer()))).status).toBe(401);
  });

  it('a photo’s address is a 404 for any other id, a wrong user, or a disabled account', async () => {
    const u = await createUser(s.http);
    const avatarId = (await putAvatar(s.base, u, fileForm(await image(30, 30).png().toBuffer()))).body.avatar_id;
    expect((await download(s.base, carol, `/api/users/${u.id}/avatar/${avatarId}`)).status).toBe(200);
    for (const path of [
      `/api/users/${u.id}/avatar/${randomUUID()}`,
      `/api/users/${carol.id}/avatar/${avatarId}`,
      `/api/users/${u.id}/avatar/not-a-uuid`,
      `/api/users/nobody/avatar/${avatarId}`,
    ]) {
      const res = await download(s.base, carol, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.bytes.toString()).error.code).toBe('not_found');
    }
    await setUserDisabled(s.ctx, u.id, true);
    expect((await download(s.base, carol, `/api/users/${u.id}/avatar/${avatarId}`)).status).toBe(404);
  });
});

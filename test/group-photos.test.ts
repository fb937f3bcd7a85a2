/**
 * Group photos (decision 043): owners and admins set, replace and remove a group's photo;
 * members see it, anyone else gets 404; the members hear of a change and the chat shows who made
 * it; a replaced photo's bytes go; bad input and callers who may not are refused, changing nothing.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDirect, createGroup, createUser, type TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import { download, fileForm, image, isStored, postForm, storedFiles, useLocalUploads } from './helpers/uploads.js';
import { settle, WsClient } from './helpers/ws.js';

const until = async (check: () => Promise<boolean>, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await settle(50);
  }
};

describe('group photos', () => {
  const t = useLocalUploads();
  let s: TestServer, alice: TestUser, bob: TestUser, carol: TestUser;
  beforeAll(() => void ({ s, alice, bob, carol } = t));

  const put = async (u: TestUser, group: string, bytes?: Buffer) =>
    postForm(
      s.base,
      u,
      fileForm(bytes ?? (await image(600, 400, '#36c').png().toBuffer()), 'g.png', 'image/png'),
      undefined,
      {
        method: 'PUT',
        path: `/api/conversations/${group}/avatar`,
      },
    );
  const photoOf = (u: TestUser, group: string, avatarId: string) =>
    download(s.base, u, `/api/conversations/${group}/avatar/${avatarId}`);
  const chat = async (u: TestUser, group: string) => (await s.http.get(`/api/conversations/${group}`, u.token)).body;
  const events = async (u: TestUser, group: string) =>
    ((await s.http.get(`/api/conversations/${group}/messages?limit=100`, u.token)).body.messages as any[])
      .filter((m) => m.message_type === 'event')
      .map((m) => [m.sender_id, JSON.parse(m.content)])
      .reverse();

  it('an admin sets a photo that every member sees, at once, with a line saying who set it', async () => {
    const group = await createGroup(s.http, alice, [bob]);
    expect(
      (await s.http.patch(`/api/conversations/${group}/members/${bob.id}`, { role: 'admin' }, alice.token)).status,
    ).toBe(200);
    const aliceSocket = await WsClient.connect(s.base, alice.token);
    try {
      const res = await put(bob, group);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const avatarId = res.body.avatar_id as string;
      expect(avatarId).toMatch(/^[0-9a-f-]{36}$/);
      await aliceSocket.waitForType('conversation_updated', (p) => p.conversation_id === group);
      await aliceSocket.waitForType('new_message', (p) => p.conversation_id === group && p.message_type === 'event');
      expect((await chat(alice, group)).avatar_id).toBe(avatarId);
      const list = (await s.http.get('/api/conversations', alice.token)).body.conversations;
      expect(list.find((c: any) => c.id === group).avatar_id).toBe(avatarId);
      expect(await events(alice, group)).toEqual([[bob.id, { event: 'photo' }]]);
      const photo = await photoOf(alice, group, avatarId);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/webp');
      expect(photo.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(await sharp(photo.bytes).metadata()).toMatchObject({ format: 'webp', width: 336, height: 336 });
    } finally {
      await aliceSocket.close();
    }
  });

  it('a new photo replaces the old, whose address stops working and whose bytes go; removing leaves initials', async () => {
    const group = await createGroup(s.http, alice, [bob]);
    const first = (await put(alice, group)).body.avatar_id as string;
    const second = await put(alice, group, await image(40, 40, '#c63').webp().toBuffer());
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.avatar_id).not.toBe(first);
    expect((await photoOf(bob, group, first)).status).toBe(404);
    expect((await photoOf(bob, group, second.body.avatar_id)).status).toBe(200);
    await until(async () => !(await isStored(s, `${first}.avatar`)), 'the old photo’s bytes going');

    const removed = await s.http.del(`/api/conversations/${group}/avatar`, alice.token);
    expect(removed.status).toBe(200);
    expect(removed.body.avatar_id).toBeNull();
    expect((await photoOf(bob, group, second.body.avatar_id)).status).toBe(404);
    await until(async () => !(await isStored(s, `${second.body.avatar_id}.avatar`)), 'the removed photo’s bytes going');
    // Removing when there is none changes nothing and says nothing.
    expect((await s.http.del(`/api/conversations/${group}/avatar`, alice.token)).body.avatar_id).toBeNull();
    expect(await events(bob, group)).toEqual([
      [alice.id, { event: 'photo' }],
      [alice.id, { event: 'photo' }],
      [alice.id, { event: 'photo_removed' }],
    ]);
  });

  it('a plain member, a non-member and a one-to-one chat are refused, and nothing is stored', async () => {
    const group = await createGroup(s.http, alice, [bob]);
    const kept = (await put(alice, group)).body.avatar_id as string;
    const direct = await createDirect(s.http, alice, carol);
    const filesBefore = await storedFiles(t.dataDir);
    const cases: [TestUser, string, number, string, RegExp][] = [
      [bob, group, 403, 'forbidden', /owners and admins/],
      [carol, group, 404, 'not_found', /Conversation not found/],
      [carol, randomUUID(), 404, 'not_found', /Conversation not found/],
      [alice, direct, 400, 'bad_request', /one-to-one/],
    ];
    for (const [u, id, status, code, message] of cases) {
      for (const res of [await put(u, id), await s.http.del(`/api/conversations/${id}/avatar`, u.token)]) {
        expect(res.status, JSON.stringify(res.body)).toBe(status);
        expect(res.body.error.code).toBe(code);
        expect(res.body.error.message).toMatch(message);
      }
    }
    const bad = await put(alice, group, Buffer.from('not an image'));
    expect(bad.status).toBe(415);
    expect(bad.body.error.message).toMatch(/could not be read/);
    expect(await storedFiles(t.dataDir)).toEqual(filesBefore);
    expect((await chat(alice, group)).avatar_id).toBe(kept);
    expect((await chat(alice, direct)).avatar_id).toBeNull();
    expect(await events(bob, group)).toEqual([[alice.id, { event: 'photo' }]]);
  });

  it('only members see the photo: anyone else, a member who left, and any other id get 404', async () => {
    const dave = await createUser(s.http);
    const group = await createGroup(s.http, alice, [bob, dave]);
    const avatarId = (await put(alice, group)).body.avatar_id as string;
    expect((await photoOf(dave, group, avatarId)).status).toBe(200);
    expect((await s.http.del(`/api/conversations/${group}/members/me`, dave.token)).status).toBe(204);
    const other = await createGroup(s.http, alice, [carol]);
    for (const [u, path] of [
      [carol, `/api/conversations/${group}/avatar/${avatarId}`],
      [dave, `/api/conversations/${group}/avatar/${avatarId}`],
      [carol, `/api/conversations/${other}/avatar/${avatarId}`],
      [bob, `/api/conversations/${group}/avatar/${randomUUID()}`],
      [bob, `/api/conversations/${group}/avatar/not-a-uuid`],
    ] as const) {
      const res = await download(s.base, u, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.bytes.toString()).error.code).toBe('not_found');
    }
    expect((await fetch(`${s.base}/api/conversations/${group}/avatar/${avatarId}`)).status).toBe(401);
  });
});

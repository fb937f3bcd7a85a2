/**
 * Uploads on local disk, access and lifetime: only the uploader and members of a conversation that
 * shows the upload may download it, and deleting the message (or never sending it) removes the bytes.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../server/jobs/housekeeping.js';
import { createDirect, postMessage, type TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import { useLocalUploads, png, download, sendAttachment, isStored, uploadRow, storedFiles } from './helpers/uploads.js';

describe('uploads on local disk', () => {
  const t = useLocalUploads();
  let s: TestServer, dataDir: string, alice: TestUser, bob: TestUser, carol: TestUser, direct: string;
  beforeAll(() => void ({ s, dataDir, alice, bob, carol, direct } = t));
  const { upload } = t;

  describe('who may download', () => {
    it('an upload never sent is the uploader’s alone', async () => {
      const { body } = await upload(alice, await png(), 'draft.png');
      for (const other of [bob, carol]) {
        for (const suffix of ['', '/thumbnail']) {
          const got = await download(s.base, other, `/api/uploads/${body.id}${suffix}`);
          expect(got.status, `${other.username}${suffix}`).toBe(404);
          expect(got.headers.get('content-type')).toMatch(/json/);
        }
      }
      expect((await download(s.base, alice, `/api/uploads/${body.id}`)).status).toBe(200);
    });

    it('a sent upload is readable by the members of its conversation and nobody else', async () => {
      const bytes = await png(50, 50);
      const { body } = await upload(alice, bytes, 'shared.png');
      const sent = await sendAttachment(s, alice, direct, body.id);
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      expect(sent.body.attachment).toMatchObject({ id: body.id, content_type: 'image/png', has_thumbnail: true });

      const original = await download(s.base, alice, `/api/uploads/${body.id}`);
      for (const suffix of ['', '/thumbnail']) {
        const forBob = await download(s.base, bob, `/api/uploads/${body.id}${suffix}`);
        expect(forBob.status, suffix).toBe(200);
        if (suffix === '') expect(forBob.bytes.equals(original.bytes)).toBe(true);
        const forCarol = await download(s.base, carol, `/api/uploads/${body.id}${suffix}`);
        expect(forCarol.status, suffix).toBe(404);
        expect(forCarol.bytes.length).toBeLessThan(200); // the error, not the image
      }
    });

    it('deleting the message for everyone takes the upload away, and its bytes once the job has run', async () => {
      const { body } = await upload(alice, await png(32, 32), 'gone-soon.png');
      const sent = await sendAttachment(s, alice, direct, body.id);
      expect(sent.status).toBe(201);
      const row = await uploadRow(s, body.id);
      expect(row).toMatchObject({ storage_key: body.id, thumbnail_key: `${body.id}.thumb` });
      expect(await isStored(s, row!.storage_key)).toBe(true);
      expect(await isStored(s, row!.thumbnail_key!)).toBe(true);
      expect((await download(s.base, bob, `/api/uploads/${body.id}`)).status).toBe(200);

      const deleted = await s.http.del(`/api/messages/${sent.body.id}`, alice.token);
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(deleted.body.attachment).toBeNull();

      for (const user of [bob, alice]) {
        for (const suffix of ['', '/thumbnail']) {
          expect((await download(s.base, user, `/api/uploads/${body.id}${suffix}`)).status).toBe(404);
        }
      }
      expect(await uploadRow(s, body.id)).toBeNull();
      await expect.poll(() => isStored(s, row!.storage_key), { timeout: 10_000, interval: 100 }).toBe(false);
      await expect.poll(() => isStored(s, row!.thumbnail_key!), { timeout: 10_000, interval: 100 }).toBe(false);
      expect(await storedFiles(dataDir)).not.toEqual(expect.arrayContaining([expect.stringContaining(body.id)]));
    });

    it('a reply to a file names the file in its quote, live and in history', async () => {
      const { body } = await upload(alice, Buffer.from('quarterly figures\n'), 'q3-report.txt');
      const file = await sendAttachment(s, alice, direct, body.id, 'file');
      expect(file.status).toBe(201);
      const reply = await postMessage(s.http, bob, direct, {
        content: 'thanks',
        reply_to: file.body.id,
        client_id: randomUUID(),
      });
      expect(reply.status).toBe(201);
      expect(reply.body.reply_to).toMatchObject({ id: file.body.id, message_type: 'file', filename: 'q3-report.txt' });
      const history = await s.http.get(`/api/conversations/${direct}/messages?limit=1`, alice.token);
      expect(history.body.messages[0].reply_to).toMatchObject({ filename: 'q3-report.txt' });
    });

    it('an upload sent to two conversations stays where its message is still shown', async () => {
      const elsewhere = await createDirect(s.http, alice, carol);
      const { body } = await upload(alice, Buffer.from('minutes of the meeting\n'), 'minutes.txt');
      const toBob = await sendAttachment(s, alice, direct, body.id, 'file');
      const toCarol = await sendAttachment(s, alice, elsewhere, body.id, 'file');
      expect([toBob.status, toCarol.status]).toEqual([201, 201]);

      expect((await s.http.del(`/api/messages/${toBob.body.id}`, alice.token)).status).toBe(200);
      expect((await download(s.base, bob, `/api/uploads/${body.id}`)).status).toBe(404);
      const forCarol = await download(s.base, carol, `/api/uploads/${body.id}`);
      expect(forCarol.status).toBe(200);
      expect(forCarol.bytes.toString()).toBe('minutes of the meeting\n');
      expect(await uploadRow(s, body.id)).not.toBeNull();
      expect(await isStored(s, body.id)).toBe(true);
    });

    it('nobody can send an upload of someone else’s, and an image message needs an image', async () => {
      const { body: bobs } = await upload(bob, await png(), 'bobs.png');
      const stolen = await sendAttachment(s, alice, direct, bobs.id);
      expect(stolen.status).toBe(400);
      expect(stolen.body.error.code).toBe('validation_failed');
      expect((await sendAttachment(s, alice, direct, randomUUID())).status).toBe(400);
      // Bob's upload stays his: Alice's attempt did not make it readable by her.
      expect((await download(s.base, alice, `/api/uploads/${bobs.id}`)).status).toBe(404);

      const { body: text } = await upload(alice, Buffer.from('not a picture\n'), 'fake.png', 'image/png');
      const asImage = await sendAttachment(s, alice, direct, text.id, 'image');
      expect(asImage.status).toBe(400);
      expect(asImage.body.error.code).toBe('validation_failed');
      expect((await sendAttachment(s, alice, direct, text.id, 'file')).status).toBe(201);
    });
  });

  describe('housekeeping', () => {
    it('drops uploads never sent within a day, with their bytes, and keeps sent ones', async () => {
      const { body: unsent } = await upload(alice, await png(), 'abandoned.png');
      const { body: sent } = await upload(alice, await png(), 'kept.png');
      const { body: fresh } = await upload(alice, await png(), 'fresh.png');
      expect((await sendAttachment(s, alice, direct, sent.id)).status).toBe(201);
      await s.ctx.db.query(`UPDATE uploads SET created_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])`, [
        [unsent.id, sent.id],
      ]);

      await housekeeping(s.ctx);

      expect(await uploadRow(s, unsent.id)).toBeNull();
      expect((await download(s.base, alice, `/api/uploads/${unsent.id}`)).status).toBe(404);
      await expect.poll(() => isStored(s, unsent.id), { timeout: 10_000, interval: 100 }).toBe(false);
      await expect.poll(() => isStored(s, `${unsent.id}.thumb`), { timeout: 10_000, interval: 100 }).toBe(false);

      expect(await uploadRow(s, sent.id)).not.toBeNull();
      expect((await download(s.base, bob, `/api/uploads/${sent.id}`)).status).toBe(200);
      expect((await download(s.base, bob, `/api/uploads/${sent.id}/thumbnail`)).status).toBe(200);
      expect(await uploadRow(s, fresh.id)).not.toBeNull();
      expect(await isStored(s, fresh.id)).toBe(true);
    });
  });
});

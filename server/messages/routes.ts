import { IdParams } from '../../protocol/conversations.js';
import {
  ChangeList,
  ChangesQuery,
  EditMessageBody,
  HistoryQuery,
  Message,
  MessageList,
  MessageParams,
  ReactionParams,
  ReadBody,
  Receipt,
  SendMessageBody,
} from '../../protocol/messages.js';
import { addReaction, deleteMessage, editMessage, listChanges, removeReaction } from './changes.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { advanceWatermark, historyPageJson, sendMessage } from './service.js';

import { userLimit } from '../http/security.js';

export async function messageRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));

  // The page arrives as JSON text (historyPageJson) and is sent as it is: fastify serializes
  // (and checks against the schema) only objects. The schema still describes the answer.
  app.get(
    '/api/conversations/:id/messages',
    { schema: { params: IdParams, querystring: HistoryQuery, response: { 200: MessageList } } },
    async (req, reply) => {
      const page = await historyPageJson(ctx, userId(req), req.params.id, req.query);
      return reply.type('application/json; charset=utf-8').send(`{"messages":${page}}` as never);
    },
  );

  /** 201 with the stored message; 200 with the same message when this client_id was sent before. */
  app.post(
    '/api/conversations/:id/messages',
    {
      config: userLimit(ctx.config.RATE_LIMIT_SEND_PER_MINUTE),
      schema: { params: IdParams, body: SendMessageBody, response: { 200: Message, 201: Message } },
    },
    async (req, reply) => {
      const { message, created } = await sendMessage(ctx, {
        senderId: userId(req),
        conversationId: req.params.id,
        content: req.body.content,
        messageType: req.body.message_type,
        clientId: req.body.client_id,
        replyTo: req.body.reply_to,
        attachmentId: req.body.attachment_id,
      });
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  app.get(
    '/api/conversations/:id/changes',
    { schema: { params: IdParams, querystring: ChangesQuery, response: { 200: ChangeList } } },
    async (req) => listChanges(ctx, userId(req), req.params.id, req.query.after_change_seq, req.query.limit),
  );

  app.patch(
    '/api/messages/:id',
    { schema: { params: MessageParams, body: EditMessageBody, response: { 200: Message } } },
    async (req) => editMessage(ctx, userId(req), req.params.id, req.body.content),
  );

  /** Deletes for everyone; answers with the tombstone. */
  app.delete('/api/messages/:id', { schema: { params: MessageParams, response: { 200: Message } } }, async (req) =>
    deleteMessage(ctx, userId(req), req.params.id),
  );

  app.put(
    '/api/messages/:id/reactions/:emoji',
    { schema: { params: ReactionParams, response: { 200: Message } } },
    async (req) => addReaction(ctx, userId(req), req.params.id, req.params.emoji),
  );

  app.delete(
    '/api/messages/:id/reactions/:emoji',
    { schema: { params: ReactionParams, response: { 200: Message } } },
    async (req) => removeReaction(ctx, userId(req), req.params.id, req.params.emoji),
  );

  app.post(
    '/api/conversations/:id/read',
    { schema: { params: IdParams, body: ReadBody, response: { 200: Receipt } } },
    async (req) => advanceWatermark(ctx, userId(req), req.params.id, req.body.seq, 'read'),
  );
}

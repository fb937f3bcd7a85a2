import { z } from 'zod';
import {
  AddMembersBody,
  Conversation,
  ConversationList,
  CreateConversationBody,
  IdParams,
  MemberParams,
  UpdateConversationBody,
  UpdateMemberBody,
} from '../../protocol/conversations.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import {
  addMembers,
  createGroup,
  getConversation,
  listConversations,
  openDirect,
  removeMember,
  renameGroup,
  setMemberRole,
} from './service.js';

export async function conversationRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));

  /** one_to_one: 201 when created, 200 when the pair's conversation already existed. */
  app.post(
    '/api/conversations',
    { schema: { body: CreateConversationBody, response: { 200: Conversation, 201: Conversation } } },
    async (req, reply) => {
      const me = userId(req);
      if (req.body.type === 'one_to_one') {
        const { conversation, created } = await openDirect(ctx, me, req.body.member_ids[0]!);
        return reply.status(created ? 201 : 200).send(conversation);
      }
      const conversation = await createGroup(ctx, me, { title: req.body.title, memberIds: req.body.member_ids });
      return reply.status(201).send(conversation);
    },
  );

  app.get('/api/conversations', { schema: { response: { 200: ConversationList } } }, async (req) => ({
    conversations: await listConversations(ctx, userId(req)),
  }));

  app.get('/api/conversations/:id', { schema: { params: IdParams, response: { 200: Conversation } } }, async (req) =>
    getConversation(ctx, userId(req), req.params.id),
  );

  app.patch(
    '/api/conversations/:id',
    { schema: { params: IdParams, body: UpdateConversationBody, response: { 200: Conversation } } },
    async (req) => renameGroup(ctx, userId(req), req.params.id, req.body.title),
  );

  app.post(
    '/api/conversations/:id/members',
    { schema: { params: IdParams, body: AddMembersBody, response: { 200: Conversation } } },
    async (req) => addMembers(ctx, userId(req), req.params.id, req.body.user_ids),
  );

  /** `user_id` may be `me`: leave the group. */
  app.delete(
    '/api/conversations/:id/members/:user_id',
    { schema: { params: MemberParams, response: { 204: z.null() } } },
    async (req, reply) => {
      const me = userId(req);
      const target = req.params.user_id === 'me' ? me : req.params.user_id;
      await removeMember(ctx, me, req.params.id, target);
      return reply.status(204).send(null);
    },
  );

  app.patch(
    '/api/conversations/:id/members/:user_id',
    { schema: { params: MemberParams, body: UpdateMemberBody, response: { 200: Conversation } } },
    async (req) => setMemberRole(ctx, userId(req), req.params.id, req.params.user_id, req.body.role),
  );
}

import { z } from 'zod';
import { EntityId } from './ids.js';
import { Message } from './messages.js';
import { PublicUser } from './users.js';

export const SearchQuery = z.object({
  q: z.string().trim().min(1, 'must not be empty').max(200),
  conversation_id: EntityId.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  /** The last message of the previous page: the next page holds the matches after it (older). */
  before: EntityId.optional(),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/** A snippet of the message as parts; `hit` parts matched the query (render them highlighted, as text). */
export const SnippetPart = z.object({ text: z.string(), hit: z.boolean() });

export const SearchResult = z.object({
  messages: z.array(
    z.object({
      message: Message,
      snippet: z.array(SnippetPart),
      rank: z.number(),
    }),
  ),
  /** People whose name or username matches (on the first page only). */
  users: z.array(PublicUser),
  /** More matches past the last one: ask again with `before` = its message id. */
  has_more: z.boolean(),
});
export type SearchResult = z.infer<typeof SearchResult>;

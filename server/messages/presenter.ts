import type { Message, Reaction } from '../../protocol/messages.js';
import { iso, isoNow } from '../ids.js';

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_id: string | null;
  kind: string;
  body: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  change_seq: number;
  reactions: { emoji: string; user_ids: string[] }[];
  reply_id: string | null;
  reply_seq: number | null;
  reply_sender_id: string | null;
  reply_body: string | null;
  reply_kind: string | null;
  reply_filename: string | null;
  reply_deleted_at: Date | null;
  upload_id: string | null;
  upload_filename: string | null;
  upload_content_type: string | null;
  upload_size: number | null;
  upload_width: number | null;
  upload_height: number | null;
  upload_has_thumbnail: boolean | null;
}

/** How much of the answered message a reply carries. */
export const REPLY_PREVIEW_CHARS = 200;

/** The answered message's preview and the attachment's metadata (needs MESSAGE_JOINS). */
export const REFERENCE_FIELDS = `r.id AS reply_id, r.seq AS reply_seq, r.sender_id AS reply_sender_id,
  left(r.body, ${REPLY_PREVIEW_CHARS}) AS reply_body, r.kind AS reply_kind, r.deleted_at AS reply_deleted_at,
  ru.filename AS reply_filename,
  u.id AS upload_id, u.filename AS upload_filename, u.content_type AS upload_content_type,
  u.size::float8 AS upload_size, u.width AS upload_width, u.height AS upload_height,
  (u.thumbnail_key IS NOT NULL) AS upload_has_thumbnail`;

/**
 * The columns of a presentable message, for `FROM messages m ${MESSAGE_JOINS}` (or any row
 * source aliased `m` with the columns of `messages`, such as an INSERT's RETURNING *).
 */
export const MESSAGE_FIELDS = `m.id, m.conversation_id, m.seq, m.sender_id, m.client_id, m.kind, m.body, m.created_at,
  m.edited_at, m.deleted_at, m.change_seq, m.reactions, ${REFERENCE_FIELDS}`;

/** The answered message (and its attachment's name) and the attachment: primary-key lookups, none without a key. */
export const MESSAGE_JOINS = `LEFT JOIN messages r ON r.id = m.reply_to LEFT JOIN uploads ru ON ru.id = r.attachment_id
  LEFT JOIN uploads u ON u.id = m.attachment_id`;

const presentReactions = (list: MessageRow['reactions']): Reaction[] =>
  list.map((r) => ({ emoji: r.emoji, count: r.user_ids.length, user_ids: r.user_ids }));

export const presentMessage = (m: MessageRow): Message => ({
  id: m.id,
  conversation_id: m.conversation_id,
  seq: m.seq,
  sender_id: m.sender_id,
  content: m.body,
  message_type: m.kind,
  client_id: m.client_id,
  created_at: isoNow(m.created_at),
  edited_at: iso(m.edited_at),
  deleted_at: iso(m.deleted_at),
  reply_to: m.reply_id
    ? {
        id: m.reply_id,
        seq: m.reply_seq!,
        sender_id: m.reply_sender_id,
        content: m.reply_deleted_at ? '' : m.reply_body!,
        message_type: m.reply_kind!,
        deleted: m.reply_deleted_at !== null,
        filename: m.reply_deleted_at ? null : m.reply_filename,
      }
    : null,
  reactions: presentReactions(m.reactions ?? []),
  attachment: m.upload_id
    ? {
        id: m.upload_id,
        filename: m.upload_filename!,
        content_type: m.upload_content_type!,
        size: Number(m.upload_size),
        width: m.upload_width,
        height: m.upload_height,
        has_thumbnail: m.upload_has_thumbnail === true,
      }
    : null,
  change_seq: m.change_seq,
});

/**
 * A timestamptz as presentMessage writes it (`Date.prototype.toISOString()`: UTC, milliseconds).
 * `MS` truncates the microseconds, as pg's parsing into a Date does.
 */
const isoSql = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A JSON object of the columns `select` names, in its order (row_to_json writes no spaces;
 * json_build_object puts them around every colon and after every comma).
 */
const jsonObject = (select: string) => `(SELECT row_to_json(o) FROM (SELECT ${select}) o)`;

/**
 * The JSON array (text) of `json` over the rows aggregated, in `order`, of those `filter`
 * keeps: an aggregate. Joined with bare commas (json_agg puts a space after each): with
 * jsonObject, PostgreSQL writes the bytes JSON.stringify would.
 */
export const jsonArray = (json: string, order: string, filter = 'true') =>
  `'[' || coalesce(string_agg((${json})::text, ',' ORDER BY ${order}) FILTER (WHERE ${filter}), '') || ']'`;

/**
 * The message as JSON built by PostgreSQL, for `FROM messages m ${MESSAGE_JOINS}`: the same
 * value, key for key and in the same order, as `presentMessage` of the row MESSAGE_FIELDS
 * reads (test/history-json.test.ts holds the two together). History pages and sync use it: a
 * page's JSON is then one string to pass on rather than 50 rows of 27 columns to parse,
 * present, check and serialize again (decision 033).
 */
export const MESSAGE_JSON = jsonObject(`m.id, m.conversation_id, m.seq, m.sender_id, m.body AS content,
  m.kind AS message_type, m.client_id, ${isoSql('m.created_at')} AS created_at,
  ${isoSql('m.edited_at')} AS edited_at, ${isoSql('m.deleted_at')} AS deleted_at,
  CASE WHEN r.id IS NOT NULL THEN ${jsonObject(`r.id, r.seq, r.sender_id,
    CASE WHEN r.deleted_at IS NULL THEN left(r.body, ${REPLY_PREVIEW_CHARS}) ELSE '' END AS content,
    r.kind AS message_type, r.deleted_at IS NOT NULL AS deleted,
    CASE WHEN r.deleted_at IS NULL THEN ru.filename END AS filename`)} END AS reply_to,
  CASE WHEN m.reactions = '[]' THEN '[]'::json ELSE (
    SELECT (${jsonArray('row_to_json(rx)', 'i')})::json
      FROM jsonb_array_elements(m.reactions) WITH ORDINALITY AS e(x, i),
           LATERAL (SELECT x->>'emoji' AS emoji, jsonb_array_length(x->'user_ids') AS count,
                           ARRAY(SELECT jsonb_array_elements_text(x->'user_ids')) AS user_ids) rx) END AS reactions,
  CASE WHEN u.id IS NOT NULL THEN ${jsonObject(`u.id, u.filename, u.content_type, u.size::float8 AS size, u.width,
    u.height, u.thumbnail_key IS NOT NULL AS has_thumbnail`)} END AS attachment,
  m.change_seq`);

import type { Attachment, Message } from '../../../protocol/messages.js';
import { uploadFile } from '../api/upload';
import { createStore } from './store';
import { limitText } from '../../../protocol/uploads.js';
import { serverLimits } from './limits';

/** What the composer of a conversation is doing besides writing a new message. */
export type Intent = { kind: 'edit'; message: Message } | { kind: 'reply'; message: Message };

/** A file chosen for the next message: uploading, uploaded (ready to send) or failed. */
export interface Staged {
  key: string;
  name: string;
  size: number;
  /** A local preview of an image while it uploads (revoked when it leaves). */
  previewUrl: string | null;
  progress: number;
  status: 'uploading' | 'ready' | 'failed';
  attachment?: Attachment;
  error?: string;
}

export interface ComposeState {
  intents: Record<string, Intent | undefined>;
  staged: Record<string, Staged[] | undefined>;
}

export const compose = createStore<ComposeState>({ intents: {}, staged: {} });

/**
 * The text of the edit in progress in each conversation, so that it is still there when the
 * person comes back from another chat (an edit is not a draft: it never goes to the drafts).
 * A new intent starts from the message's text.
 */
const editTexts = new Map<string, string>();
export const editTextOf = (conversationId: string) => editTexts.get(conversationId);
export const keepEditText = (conversationId: string, text: string) => editTexts.set(conversationId, text);

export function setIntent(conversationId: string, intent: Intent | null) {
  editTexts.delete(conversationId);
  compose.set((s) => ({ ...s, intents: { ...s.intents, [conversationId]: intent ?? undefined } }));
}

const aborts = new Map<string, () => void>();
let keys = 0;

function patchStaged(conversationId: string, key: string, patch: Partial<Staged>) {
  compose.set((s) => ({
    ...s,
    staged: {
      ...s.staged,
      [conversationId]: s.staged[conversationId]?.map((x) => (x.key === key ? { ...x, ...patch } : x)),
    },
  }));
}

/** Starts uploading files for the next message of a conversation (progress shows in the composer). */
export function stageFiles(conversationId: string, files: File[]) {
  // An edit cannot gain a file: choosing one starts a new message instead.
  if (files.length && compose.get().intents[conversationId]?.kind === 'edit') setIntent(conversationId, null);
  for (const file of files) {
    const key = `u${++keys}`;
    const previewUrl = /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : null;
    const item: Staged = {
      key,
      name: file.name || 'file',
      size: file.size,
      previewUrl,
      progress: 0,
      status: 'uploading',
    };
    compose.set((s) => ({
      ...s,
      staged: { ...s.staged, [conversationId]: [...(s.staged[conversationId] ?? []), item] },
    }));
    // Past the server's limit: say so at once instead of sending it all to hear 413.
    if (file.size > serverLimits.upload_max_bytes) {
      const error = `Files can be at most ${limitText(serverLimits.upload_max_bytes)}.`;
      patchStaged(conversationId, key, { status: 'failed', error });
      continue;
    }
    const upload = uploadFile(file, (progress) => patchStaged(conversationId, key, { progress }));
    aborts.set(key, upload.abort);
    upload.done.then(
      (attachment) => patchStaged(conversationId, key, { status: 'ready', progress: 1, attachment }),
      (err: Error) => {
        if (err.name !== 'AbortError') patchStaged(conversationId, key, { status: 'failed', error: err.message });
      },
    );
    void upload.done.catch(() => {}).finally(() => aborts.delete(key));
  }
}

/** Cancels an upload in flight, or takes a staged file off the next message. */
export function unstage(conversationId: string, key: string) {
  aborts.get(key)?.();
  compose.set((s) => {
    const list = s.staged[conversationId] ?? [];
    const gone = list.find((x) => x.key === key);
    if (gone?.previewUrl) URL.revokeObjectURL(gone.previewUrl);
    return { ...s, staged: { ...s.staged, [conversationId]: list.filter((x) => x.key !== key) } };
  });
}

/** The uploaded files, taken off the composer to be sent. */
export function takeReady(conversationId: string): Attachment[] {
  const ready = (compose.get().staged[conversationId] ?? []).filter((x) => x.status === 'ready');
  for (const x of ready) unstage(conversationId, x.key);
  return ready.map((x) => x.attachment!);
}

export function resetCompose() {
  editTexts.clear();
  for (const abort of aborts.values()) abort();
  for (const list of Object.values(compose.get().staged))
    for (const x of list ?? []) if (x.previewUrl) URL.revokeObjectURL(x.previewUrl);
  compose.set(() => ({ intents: {}, staged: {} }));
}

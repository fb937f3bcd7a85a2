import type { Conversation } from '../../../../protocol/conversations.js';
import { CloseIcon, FileIcon, PencilIcon, ReplyIcon } from '../../components/Icons';
import { humanSize } from '../../components/format';
import { setIntent, unstage, type Intent, type Staged } from '../../store/compose';
import { nameOf } from '../conversations/names';
import { snippetOf } from './snippet';

/** Above the composer: what it is editing or answering, and the files going with the next message. */
export function ComposerBars({
  c,
  myId,
  intent,
  staged,
}: {
  c: Conversation;
  myId: string;
  intent: Intent | undefined;
  staged: Staged[];
}) {
  if (!intent && staged.length === 0) return null;
  return (
    <div className="space-y-2 px-3 pt-2">
      {intent && <IntentBar c={c} myId={myId} intent={intent} />}
      {staged.length > 0 && (
        <ul aria-label="Files to send" className="space-y-1.5">
          {staged.map((x) => (
            <StagedFile key={x.key} x={x} conversationId={c.id} />
          ))}
        </ul>
      )}
    </div>
  );
}

function IntentBar({ c, myId, intent }: { c: Conversation; myId: string; intent: Intent }) {
  const m = intent.message;
  const edit = intent.kind === 'edit';
  const who = m.sender_id === myId ? 'yourself' : nameOf(c, m.sender_id);
  return (
    <div
      data-testid={edit ? 'editing-bar' : 'reply-bar'}
      className="flex items-center gap-3 rounded-lg border-l-4 border-accent bg-neutral-100 py-1.5 pr-1 pl-3 dark:border-teal-400 dark:bg-neutral-800"
    >
      <span className="shrink-0 text-accent dark:text-teal-300">{edit ? <PencilIcon /> : <ReplyIcon />}</span>
      <div className="min-w-0 flex-1">
        <p className="text-[13px] font-semibold text-accent dark:text-teal-300">
          {edit ? 'Editing message' : `Replying to ${who}`}
        </p>
        <p className="truncate text-sm text-neutral-600 dark:text-neutral-300">
          {snippetOf({ ...m, deleted: !!m.deleted_at })}
        </p>
      </div>
      <button
        type="button"
        aria-label={edit ? 'Cancel editing' : 'Cancel reply'}
        onClick={() => setIntent(c.id, null)}
        className="shrink-0 rounded-full p-2 text-neutral-600 hover:bg-neutral-200 dark:text-neutral-300 dark:hover:bg-neutral-700"
      >
        <CloseIcon />
      </button>
    </div>
  );
}

function StagedFile({ x, conversationId }: { x: Staged; conversationId: string }) {
  const pct = Math.round(x.progress * 100);
  return (
    <li
      data-testid="staged-file"
      data-status={x.status}
      className="flex items-center gap-3 rounded-lg bg-neutral-100 p-1.5 pr-1 dark:bg-neutral-800"
    >
      {x.previewUrl ? (
        <img src={x.previewUrl} alt="" className="h-10 w-10 shrink-0 rounded-md object-cover" />
      ) : (
        <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-md bg-accent/10 text-accent dark:text-teal-300">
          <FileIcon />
        </span>
      )}
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium" title={x.name}>
          {x.name}
        </p>
        {x.status === 'uploading' ? (
          <div className="flex items-center gap-2">
            <div
              role="progressbar"
              aria-label={`Uploading ${x.name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={pct}
              className="h-1.5 flex-1 overflow-hidden rounded-full bg-neutral-300 dark:bg-neutral-700"
            >
              <div className="h-full rounded-full bg-accent transition-[width]" style={{ width: `${pct}%` }} />
            </div>
            <span className="w-9 text-right text-xs text-neutral-600 tabular-nums dark:text-neutral-400">{pct}%</span>
          </div>
        ) : x.status === 'failed' ? (
          <p role="alert" className="truncate text-xs text-red-700 dark:text-red-400">
            {x.error ?? 'Upload failed'}
          </p>
        ) : (
          <p className="text-xs text-neutral-600 dark:text-neutral-400">{humanSize(x.size)} · ready to send</p>
        )}
      </div>
      <button
        type="button"
        aria-label={x.status === 'uploading' ? `Cancel upload of ${x.name}` : `Remove ${x.name}`}
        onClick={() => unstage(conversationId, x.key)}
        className="shrink-0 rounded-full p-2 text-neutral-600 hover:bg-neutral-200 dark:text-neutral-300 dark:hover:bg-neutral-700"
      >
        <CloseIcon />
      </button>
    </li>
  );
}

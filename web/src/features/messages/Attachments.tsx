import { useEffect, useRef, useState } from 'react';
import type { Attachment } from '../../../../protocol/messages.js';
import { CloseIcon, DownloadIcon, FileIcon } from '../../components/Icons';
import { humanSize } from '../../components/format';
import { downloadUpload, useUploadUrl } from '../../store/media';
import { openOverlay } from './overlays';

const MAX_W = 280;
const MAX_H = 320;

/** The box an image takes in the thread, known before it loads (no jump when it arrives). */
export function fitImage(width: number | null, height: number | null): { width: number; height: number } {
  if (!width || !height) return { width: 240, height: 180 };
  const scale = Math.min(1, MAX_W / width, MAX_H / height);
  return { width: Math.max(64, Math.round(width * scale)), height: Math.max(48, Math.round(height * scale)) };
}

/** An image in a bubble: its thumbnail at its own proportions; a click opens the lightbox. */
export function ImagePreview({ a, label }: { a: Attachment; label: string }) {
  const { url, failed } = useUploadUrl(a, 'thumbnail');
  const box = fitImage(a.width, a.height);
  return (
    <button
      type="button"
      aria-label={`Open photo ${a.filename}`}
      onClick={() => openOverlay({ kind: 'lightbox', a, label })}
      className="block max-w-full overflow-hidden rounded-xl bg-neutral-200 dark:bg-neutral-700"
      style={{ width: box.width, aspectRatio: `${box.width} / ${box.height}` }}
    >
      {url ? (
        <img src={url} alt={label} className="h-full w-full object-cover" data-testid="image-preview" />
      ) : (
        <span
          className={`flex h-full w-full items-center justify-center text-sm text-neutral-600 dark:text-neutral-300 ${failed ? '' : 'animate-pulse'}`}
        >
          {failed ? 'Photo unavailable' : ''}
        </span>
      )}
    </button>
  );
}

/** The whole image over everything; Esc or ✕ closes it, and it can be downloaded. */
export function Lightbox({ a, label, onClose }: { a: Attachment; label: string; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { url, failed } = useUploadUrl(a, 'full');
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-label={`Photo: ${a.filename}`}
      onClose={onClose}
      onClick={(e) => e.target === e.currentTarget && ref.current?.close()}
      className="m-0 h-full max-h-none w-full max-w-none bg-neutral-950 p-0 text-white backdrop:bg-black"
    >
      <div className="flex h-full flex-col" onClick={(e) => e.target === e.currentTarget && ref.current?.close()}>
        <div className="flex items-center gap-2 px-3 py-2">
          <p className="min-w-0 flex-1 truncate text-sm text-white/90">{a.filename}</p>
          <a
            href={url ?? undefined}
            download={a.filename}
            aria-disabled={!url}
            className={`flex items-center gap-1.5 rounded-full px-3 py-2 text-sm font-medium hover:bg-white/15 ${url ? '' : 'pointer-events-none opacity-50'}`}
          >
            <DownloadIcon /> Download
          </a>
          <button
            autoFocus
            aria-label="Close"
            onClick={() => ref.current?.close()}
            className="rounded-full p-2 hover:bg-white/15"
          >
            <CloseIcon />
          </button>
        </div>
        <div
          className="flex min-h-0 flex-1 items-center justify-center p-2 sm:p-6"
          onClick={(e) => e.target === e.currentTarget && ref.current?.close()}
        >
          {url ? (
            <img src={url} alt={label} className="max-h-full max-w-full object-contain" data-testid="lightbox-image" />
          ) : (
            <p className="text-sm text-white/70">{failed ? 'This photo could not be loaded.' : 'Loading…'}</p>
          )}
        </div>
      </div>
    </dialog>
  );
}

/** A file in a bubble: icon, name, size and a download button. */
export function FileCard({ a, own }: { a: Attachment; own: boolean }) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const ext = /\.([a-z0-9]{1,5})$/i.exec(a.filename)?.[1]?.toUpperCase();
  async function download() {
    setBusy(true);
    setFailed(false);
    try {
      await downloadUpload(a);
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div
      data-testid="file-card"
      className={`flex w-64 max-w-full items-center gap-3 rounded-xl p-2 ${own ? 'bg-white/15' : 'bg-neutral-100 dark:bg-neutral-700/60'}`}
    >
      <span
        className={`flex h-10 w-10 shrink-0 items-center justify-center rounded-lg ${own ? 'bg-white/20 text-white' : 'bg-accent/10 text-accent dark:text-teal-300'}`}
      >
        <FileIcon />
      </span>
      <span className="min-w-0 flex-1">
        <span className="line-clamp-2 font-medium [overflow-wrap:anywhere]" title={a.filename}>
          {a.filename}
        </span>
        <span className={`block text-xs ${own ? 'text-white/80' : 'text-neutral-500 dark:text-neutral-400'}`}>
          {failed ? 'Download failed, try again' : [humanSize(a.size), ext].filter(Boolean).join(' · ')}
        </span>
      </span>
      <button
        type="button"
        aria-label={`Download ${a.filename}`}
        disabled={busy}
        onClick={() => void download()}
        className={`flex h-9 w-9 shrink-0 items-center justify-center rounded-full ${own ? 'hover:bg-white/20' : 'hover:bg-neutral-200 dark:hover:bg-neutral-600'} disabled:opacity-60`}
      >
        {busy ? (
          <span className="h-4 w-4 animate-spin rounded-full border-2 border-current border-t-transparent" />
        ) : (
          <DownloadIcon />
        )}
      </button>
    </div>
  );
}

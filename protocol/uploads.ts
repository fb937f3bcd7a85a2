import { z } from 'zod';
import { EntityId } from './ids.js';

/** `POST /api/uploads` (multipart, one part named `file`) answers 201 with the `Attachment`. */
export const UploadParams = z.object({ id: EntityId });

/** Content types served inline (images we sniffed); everything else downloads as a file. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
export const isImageType = (t: string) => (IMAGE_TYPES as readonly string[]).includes(t);

/**
 * A size limit as people read sizes (decimal units, as file managers show them), rounded down:
 * a limit rounded up ("26 MB" for 26,214,400 bytes) promises files it then refuses.
 */
export function limitText(bytes: number): string {
  for (const [unit, size] of [
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (bytes >= size) return `${Math.floor((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} bytes`;
}

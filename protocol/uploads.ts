import { z } from 'zod';
import { EntityId } from './ids.js';

/** `POST /api/uploads` (multipart, one part named `file`) answers 201 with the `Attachment`. */
export const UploadParams = z.object({ id: EntityId });

/** Content types served inline (images we sniffed); everything else downloads as a file. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
export const isImageType = (t: string) => (IMAGE_TYPES as readonly string[]).includes(t);

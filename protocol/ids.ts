import { z } from 'zod';

/**
 * An entity id as a client sends it. Ids are UUIDs, which PostgreSQL compares without case;
 * lower-casing here gives every id one spelling before any code compares or hashes it.
 * Anything that is not a UUID is still accepted here and answered with 404 by the server.
 */
export const EntityId = z.string().min(1).max(256).toLowerCase();

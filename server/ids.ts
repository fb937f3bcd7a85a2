const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs in the database; anything else cannot name a row (and must not reach a uuid cast). */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString();

export const isoNow = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

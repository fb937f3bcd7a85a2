import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * The PostgreSQL server the integration tests use. They never skip: without a server they
 * fail, saying how to point them at one.
 */
export const ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `The integration tests need PostgreSQL at ${ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} ` +
        `(set TEST_DATABASE_URL to another server): ${(err as Error).message}`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database on the test server; returns its URL. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `chatify_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * What a conversation holds in the database itself (read over a connection of its own, not
 * through the server): the checker of the durability tests compares acks with this.
 */
export async function storedMessages(databaseUrl: string, conversationId: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; client_id: string; seq: number }>(
      'SELECT id, client_id, seq FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conversationId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

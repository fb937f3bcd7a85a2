import { ADMIN_URL, adminQuery } from './db.js';
import { ensureBuild } from '../../scripts/ensure-build.mjs';

/** Fails the whole run at once (in CI and out of it) when PostgreSQL is not reachable. */
export default async function setup() {
  await adminQuery('SELECT 1');
  // The cluster tests run the built server as separate processes.
  ensureBuild();
  // Databases left behind by an interrupted earlier run.
  const pgMod = await import('pg');
  const client = new pgMod.default.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'chatify\\_test\\_%'",
    );
    for (const r of rows) {
      const pid = Number(r.datname.split('_')[2]);
      if (!isAlive(pid)) await client.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

import { loadConfig } from '../config.js';
import { connectDb } from './client.js';
import { migrate } from './migrate.js';

const config = loadConfig();
const db = await connectDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const applied = await migrate(db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await db.close();
}

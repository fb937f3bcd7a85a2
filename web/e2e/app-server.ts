import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createTestDatabase } from '../../test/helpers/db.js';

const root = new URL('../../', import.meta.url).pathname;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The built server (`node dist/server/main.js`) as its own process on a fresh PostgreSQL
 * database, so a test can stop and start it like an operator would.
 */
export async function startAppServer() {
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = '';

  async function start() {
    child = spawn(process.execPath, ['dist/server/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        JWT_SECRET: 'e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not start:\n${output}`);
  }

  async function stop() {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
    child = null;
  }

  await start();
  return {
    url,
    start,
    stop,
    async close() {
      await stop();
      await db.drop();
    },
  };
}

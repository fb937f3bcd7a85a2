// `npm run cluster`: N Chatify nodes on PostgreSQL + Redis, with Caddy in front on :8080.
//   NODES=3 DATABASE_URL=postgres://… REDIS_URL=redis://… npm run cluster
// Defaults use this machine's PostgreSQL (database "chatify", created if missing) and Redis.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { ensureBuild } from './ensure-build.mjs';

const nodes = Number(process.env.NODES ?? 3);
const basePort = Number(process.env.BASE_PORT ?? 8081);
const port = Number(process.env.PORT ?? 8080);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/chatify';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const secret = process.env.JWT_SECRET ?? 'chatify-cluster-dev-secret-change-me-0123456789';

if (!process.env.DATABASE_URL) {
  const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/chatify$/, '/postgres') });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'chatify'");
  if (!rowCount) await admin.query('CREATE DATABASE chatify');
  await admin.end();
}

ensureBuild();
const children = [];
const run = (name, cmd, args, env) => {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => console.log(`${name} exited (${signal ?? code})`));
  children.push(child);
};
const upstreams = [];
for (let i = 0; i < nodes; i++) {
  const nodePort = basePort + i;
  upstreams.push(`127.0.0.1:${nodePort}`);
  run(`node ${i + 1}`, process.execPath, ['dist/server/main.js'], {
    PORT: String(nodePort),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    TRUST_PROXY: 'true',
    JWT_SECRET: secret,
    PUBLIC_ORIGIN: process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`,
  });
}
run('caddy', 'caddy', ['run', '--config', 'deploy/Caddyfile', '--adapter', 'caddyfile'], {
  CHATIFY_PORT: String(port),
  CHATIFY_UPSTREAMS: upstreams.join(' '),
});
console.log(`Chatify cluster: ${nodes} nodes (${upstreams.join(', ')}) behind Caddy on http://localhost:${port}`);
const stop = () => {
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(0), 11_000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

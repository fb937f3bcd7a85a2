import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const root = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000, output = () => '') {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms\n${output()}`);
}

/** A child process that can be killed (any signal) and started again with the same arguments. */
/** A node's `/readyz` status: ready, degraded (no Redis), not_ready, stopping. */
export const readiness = async (url: string) =>
  ((await (await fetch(`${url}/readyz`)).json()) as { status: string }).status;

export interface Managed {
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  readonly running: boolean;
  /** The running process's pid (benchmarks read its CPU time and memory from /proc). */
  readonly pid: number | undefined;
  output(): string;
}

function managed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: () => Promise<boolean>,
  what: string,
): Managed {
  let child: ChildProcess | null = null;
  let out = '';
  return {
    async start() {
      child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d) => (out = (out + d).slice(-20_000)));
      child.stderr?.on('data', (d) => (out = (out + d).slice(-20_000)));
      await waitFor(ready, `${what} start`, 30_000, () => out);
    },
    async kill(signal = 'SIGTERM') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return null;
      const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill(signal);
      const code = await exited;
      child = null;
      return code;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    get pid() {
      return child?.pid;
    },
    output: () => out,
  };
}

export const TEST_NODE_ENV = {
  JWT_SECRET: 'cluster-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'test',
  // The limits have their own test (test/hardening/rate-limits.test.ts); elsewhere they would
  // only get in the way of suites that register hundreds of users from one address.
  RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  RATE_LIMIT_SEND_PER_MINUTE: '1000000',
  RATE_LIMIT_SEARCH_PER_MINUTE: '1000000',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
};

/** The built server (`node dist/server/main.js`, or `opts.entry`) as its own process. */
export async function spawnNode(env: Record<string, string>, opts: { nodeArgs?: string[]; entry?: string } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = managed(
    process.execPath,
    [...(opts.nodeArgs ?? []), opts.entry ?? 'dist/server/main.js'],
    { ...TEST_NODE_ENV, PORT: String(port), HOST: '127.0.0.1', ...env },
    async () => (await fetch(`${url}/healthz`)).ok,
    `node on ${port}`,
  );
  await proc.start();
  return Object.assign(proc, { url, port });
}

/** A private redis-server (never the machine's shared one), on its own port, keeping nothing. */
export async function spawnRedis() {
  const port = await freePort();
  const proc = managed(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    async () => {
      const { Redis } = await import('ioredis');
      const r = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    },
    `redis on ${port}`,
  );
  await proc.start();
  return Object.assign(proc, { url: `redis://127.0.0.1:${port}`, port });
}

/** Caddy with deploy/Caddyfile in front of the given nodes. */
export async function spawnCaddy(upstreams: string[]) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = managed(
    'caddy',
    ['run', '--config', 'deploy/Caddyfile', '--adapter', 'caddyfile'],
    { CHATIFY_PORT: String(port), CHATIFY_UPSTREAMS: upstreams.join(' '), HOME: process.env.HOME ?? '/tmp' },
    async () => (await fetch(`${url}/healthz`)).ok,
    `caddy on ${port}`,
  );
  await proc.start();
  return Object.assign(proc, { url, port });
}

// Keeps deploy/ honest without Docker: the compose stack gives the nodes only variables the
// server reads (and a configuration it accepts), Caddy accepts the Caddyfile with the compose
// environment, Prometheus scrapes the nodes' /metrics, the Grafana dashboard queries only metrics a
// real server exposes, and the Dockerfile copies only what `npm run build` produces.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../server/config.js';
import { startServer, type TestServer } from './helpers/server.js';

const root = new URL('../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const yaml = (path: string): any => parse(read(path), { merge: true });

const compose = yaml('deploy/docker-compose.yml');
const services: Record<string, any> = compose.services;
/** The Chatify nodes: the services built from deploy/Dockerfile. */
const appNames = Object.keys(services).filter((name) => services[name].build?.dockerfile === 'deploy/Dockerfile');

/** A service's `environment`, in either of compose's forms (map, or list of NAME=value). */
function environmentOf(service: any): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e: string) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Compose's variable interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (all, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (all === '$$') return '$';
      if (bare) return vars[bare] ?? '';
      const v = vars[name!];
      const missing = colon ? !v : v === undefined;
      if (!op || !missing) return v ?? '';
      if (op === '-') return interpolate(arg!, vars);
      throw new Error(`${name}: ${arg}`);
    },
  );
}

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
  const keywordsCi = new Set(['and', 'or', 'unless', 'inf', 'nan']);
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w$.:])([a-zA-Z_:][\w:]*)\s*(\()?/g)) {
    const name = m[1]!;
    if (m[2] || keywords.has(name) || keywordsCi.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Every `expr` in the dashboard (panel targets, at any depth). */
function exprsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => exprsOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else exprsOf(v, out);
    }
  }
  return out;
}

const dashboard = JSON.parse(read('deploy/grafana/dashboards/chatify.json'));
const dashboardMetrics = [...new Set(exprsOf(dashboard).flatMap(metricNames))].sort();

describe('deploy/docker-compose.yml', () => {
  it('runs two Chatify nodes built from deploy/Dockerfile, with PostgreSQL, Redis and Caddy', () => {
    expect(appNames).toEqual(expect.arrayContaining(['app1', 'app2']));
    for (const name of ['postgres', 'redis', 'caddy']) expect(services[name], name).toBeDefined();
    expect(services.postgres.image).toMatch(/^postgres:1[5-9]/);
    expect(services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    for (const name of appNames) expect(services[name].build.context, name).toBe('..');
  });

  it('gives the nodes only variables the server reads (CONFIG_KEYS, plus NODE_ENV)', () => {
    const known = new Set([...CONFIG_KEYS, 'NODE_ENV']);
    const given = new Set(appNames.flatMap((name) => Object.keys(environmentOf(services[name]))));
    // The commented-out ones (TURN_URLS/TURN_SECRET for the `calls` profile) are documentation to uncomment.
    const text = read('deploy/docker-compose.yml');
    const block = /^x-chatify-app:.*\n(?:(?:\s.*|#.*)?\n)*/m.exec(text)?.[0] ?? '';
    for (const m of block.matchAll(/^\s+#\s*([A-Z][A-Z0-9_]*):\s/gm)) given.add(m[1]!);
    expect(given.size).toBeGreaterThan(5);
    expect([...given].filter((k) => !known.has(k))).toEqual([]);
    expect(given).toContain('TURN_URLS');
    expect(given).toContain('TURN_SECRET');
  });

  it('gives the nodes a configuration the server accepts, and refuses to start without JWT_SECRET', () => {
    const vars = { JWT_SECRET: 'compose-test-secret-0123456789-abcdefghijklmnop' };
    for (const name of appNames) {
      const raw = environmentOf(services[name]);
      const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, vars)]));
      const config = loadConfig(env);
      expect(config.NODE_ENV).toBe('production');
      expect(config.PORT).toBe(8080);
      expect(config.TRUST_PROXY).toBe(true);
      expect(config.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(config.REDIS_URL).toBe('redis://redis:6379');
      expect(config.JWT_SECRET).toBe(vars.JWT_SECRET);
      expect(() => interpolate(raw.JWT_SECRET!, {})).toThrow(/JWT_SECRET/);
    }
  });

  it('stores uploads where every node reads them: one named volume at DATA_DIR, or S3', () => {
    const vars = { JWT_SECRET: 'compose-test-secret-0123456789-abcdefghijklmnop' };
    const mounts = appNames.map((name) => {
      const raw = environmentOf(services[name]);
      const config = loadConfig(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(v, vars)])));
      if (config.UPLOAD_STORAGE === 's3') return 's3';
      const dataDir = path.posix.resolve('/app', config.DATA_DIR); // the Dockerfile's WORKDIR
      const volume = (services[name].volumes ?? []).find((v: string) => v.split(':')[1] === dataDir);
      expect(volume, `${name}: a volume at ${dataDir}`).toBeDefined();
      const source = volume.split(':')[0];
      expect(compose.volumes, `${name}: ${source} is a named volume`).toHaveProperty(source);
      return source;
    });
    expect(new Set(mounts).size).toBe(1);
  });

  it('gives Caddy every variable deploy/Caddyfile reads, listing every node as an upstream', () => {
    const caddyfile = read('deploy/Caddyfile');
    const env = environmentOf(services.caddy);
    const placeholders = [...caddyfile.matchAll(/\{\$([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const p of placeholders) expect(env, p).toHaveProperty(p);
    expect(env.CHATIFY_UPSTREAMS!.split(/\s+/).sort()).toEqual(appNames.map((n) => `${n}:8080`).sort());
    expect(services.caddy.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
  });

  it('uses every variable of deploy/.env.example', () => {
    const text = read('deploy/docker-compose.yml');
    const names = [...read('deploy/.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(names).toContain('JWT_SECRET');
    expect(names.filter((n) => !new RegExp(`\\$\\{${n}[:?}-]`).test(text))).toEqual([]);
  });

  it('mounts only files that exist, and has the calls and monitoring profiles', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(typeof volume === 'string' ? volume.split(':')[0] : volume.source);
        if (source.startsWith('.')) expect(existsSync(`${root}deploy/${source}`), `${name}: ${source}`).toBe(true);
      }
    }
    expect(services.coturn.profiles).toEqual(['calls']);
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.grafana.profiles).toEqual(['monitoring']);
  });
});

describe('deploy/Caddyfile', () => {
  it('is valid with the environment the compose stack gives Caddy', () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...environmentOf(services.caddy),
    };
    const args = ['--config', 'deploy/Caddyfile', '--adapter', 'caddyfile'];
    const validate = spawnSync('caddy', ['validate', ...args], { cwd: root, env, encoding: 'utf8' });
    expect(validate.status, validate.stderr).toBe(0);
    // And Caddy really reads that environment: it listens where told and proxies to every node.
    const adapt = spawnSync('caddy', ['adapt', ...args], { cwd: root, env, encoding: 'utf8' });
    expect(adapt.status, adapt.stderr).toBe(0);
    const server = Object.values<any>(JSON.parse(adapt.stdout).apps.http.servers)[0];
    expect(server.listen).toEqual([`:${env.CHATIFY_PORT}`]);
    const proxy = server.routes.flatMap((r: any) => r.handle).find((h: any) => h.handler === 'reverse_proxy');
    expect(proxy.upstreams.map((u: any) => u.dial).sort()).toEqual(appNames.map((n) => `${n}:8080`).sort());
  });
});

describe('deploy/Dockerfile', () => {
  const text = read('deploy/Dockerfile').replace(/\\\n/g, ' ');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  // Stages: each FROM starts one; `FROM image AS name`.
  const stages: { name: string; lines: string[] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? String(stages.length), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  const build = stages[0]!;
  const runtime = stages.at(-1)!;
  const instr = (stage: { lines: string[] }, op: string) =>
    stage.lines.filter((l) => l.toUpperCase().startsWith(`${op} `)).map((l) => l.slice(op.length + 1).trim());

  it('builds with npm ci and npm run build, and installs only production dependencies to run', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines.find((l) => /^FROM\s/i.test(l) && l.includes(runtime.name))).toMatch(
      /node:\$\{NODE_VERSION\}-slim|node:2\d-slim/,
    );
    expect(lines).toContain('ARG NODE_VERSION=22');
    expect(instr(build, 'RUN').join('\n')).toMatch(/npm ci\b/);
    expect(instr(build, 'RUN').join('\n')).toMatch(/npm run build\b/);
    expect(instr(runtime, 'RUN').join('\n')).toMatch(/npm ci --omit=dev\b/);
    expect(instr(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(instr(runtime, 'ENV').join(' ')).toMatch(/PORT=8080/);
    expect(instr(runtime, 'EXPOSE')).toContain('8080');
  });

  it('runs as a user that is not root, with a HEALTHCHECK on /healthz that needs no curl', () => {
    const users = instr(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const health = instr(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toContain('/healthz');
    expect(health[0]).toMatch(/CMD \["node"/);
    expect(health[0]).not.toMatch(/curl|wget/);
    // The exec form is JSON, and the script is valid JavaScript.
    const argv = JSON.parse(health[0]!.slice(health[0]!.indexOf('CMD ') + 4)) as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(() => new Function(argv[2]!)).not.toThrow();
  });

  it('copies from the build stage only what npm run build produces, which is what the server needs', () => {
    const workdir = instr(build, 'WORKDIR').at(-1) ?? '/';
    const copies = instr(runtime, 'COPY').filter((c) => c.startsWith(`--from=${build.name} `));
    expect(copies.length).toBeGreaterThan(0);
    const copied = copies.map((c) => {
      const [source] = c.slice(`--from=${build.name} `.length).trim().split(/\s+/);
      expect(source!.startsWith(`${workdir}/`), source).toBe(true);
      return source!.slice(workdir.length + 1).replace(/\/$/, '');
    });
    // The test run's global setup builds first (scripts/ensure-build.mjs), so these exist now.
    for (const path of copied) expect(existsSync(`${root}${path}`), path).toBe(true);
    for (const path of copied) expect(['dist', 'web/dist'], path).toContain(path);
    // What dist/server/main.js reads at run time: its migrations beside it, and the web client.
    expect(copied).toEqual(expect.arrayContaining(['dist', 'web/dist']));
    expect(readdirSync(`${root}dist/server/db/migrations`).some((f) => f.endsWith('.sql'))).toBe(true);
    expect(existsSync(`${root}web/dist/index.html`)).toBe(true);
    const cmd = instr(runtime, 'CMD').at(-1)!;
    expect(JSON.parse(cmd)).toEqual(['node', 'dist/server/main.js']);
    expect(existsSync(`${root}dist/server/main.js`)).toBe(true);
    // Files the build stage copies by name exist too.
    for (const c of instr(build, 'COPY').filter((c) => !c.startsWith('--'))) {
      for (const source of c.split(/\s+/).slice(0, -1))
        if (source !== '.') expect(existsSync(`${root}${source}`)).toBe(true);
    }
  });

  it('has a .dockerignore that keeps local state out and the sources in', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', 'data', '.git', 'test-results', 'bench/results'])
      expect(ignored).toContain(p);
    for (const needed of ['package.json', 'package-lock.json', 'server', 'protocol', 'web', 'web/src', 'scripts']) {
      expect(ignored).not.toContain(needed);
    }
    expect(ignored.some((l) => l === '*' || l.startsWith('tsconfig'))).toBe(false);
  });
});

describe('deploy/prometheus.yml and Grafana provisioning', () => {
  it('scrapes /metrics on port 8080 of every node', () => {
    const prometheus = yaml('deploy/prometheus.yml');
    const jobs: any[] = prometheus.scrape_configs;
    const job = jobs.find((j) =>
      j.static_configs?.some((s: any) => s.targets.some((t: string) => t.endsWith(':8080'))),
    );
    expect(job).toBeDefined();
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    const targets = job.static_configs.flatMap((s: any) => s.targets).sort();
    expect(targets).toEqual(appNames.map((n) => `${n}:8080`).sort());
    // With METRICS_TOKEN: the bearer token to uncomment.
    expect(read('deploy/prometheus.yml')).toMatch(/#\s*authorization:[\s\S]*#\s*credentials:/);
  });

  it('provisions the Prometheus of the stack as the data source and loads the dashboard folder', () => {
    const datasources = yaml('deploy/grafana/provisioning/datasources/prometheus.yml').datasources;
    expect(datasources[0].type).toBe('prometheus');
    expect(datasources[0].url).toBe('http://prometheus:9090');
    const provider = yaml('deploy/grafana/provisioning/dashboards/chatify.yml').providers[0];
    expect(services.grafana.volumes).toContain(`./grafana/dashboards:${provider.options.path}:ro`);
    const dsVar = dashboard.templating.list.find((v: any) => v.type === 'datasource');
    expect(dsVar.current.value).toBe(datasources[0].uid);
  });

  it('has a dashboard with unique panel ids that fit the grid', () => {
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });
});

describe('deploy/grafana/dashboards/chatify.json against a real server', () => {
  const METRICS_TOKEN = 'deploy-test-metrics-token-0123456789';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames('histogram_quantile(0.95, sum by (route, le) (rate(a_seconds_bucket{x=~"b(c)"}[$__rate_interval])))'),
    ).toEqual(['a_seconds_bucket']);
    expect(metricNames('sum(rate(a_total[5m])) / ignoring(x) b + 2e3 and on(y) max without (z) (c:rec)')).toEqual([
      'a_total',
      'b',
      'c:rec',
    ]);
  });

  it('charts every metric the server promises (server/metrics.ts), and the Node defaults', () => {
    const promised = [
      'chatify_ws_connections',
      'chatify_connected_users',
      'chatify_ws_frames_received_total',
      'chatify_ws_frames_sent_total',
      'chatify_messages_stored_total',
      'chatify_send_ack_seconds_bucket',
      'chatify_fanout_deliveries_total',
      'chatify_bus_published_total',
      'chatify_bus_received_total',
      'chatify_db_query_seconds_bucket',
      'chatify_db_pool_connections',
      'chatify_http_requests_total',
      'chatify_http_request_seconds_bucket',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ];
    expect(dashboardMetrics).toEqual([...promised].sort());
  });

  it('queries only metrics that GET /metrics exposes', async () => {
    const res = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(200);
    // Families and their types, from the `# TYPE name type` lines.
    const families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const exposed = (name: string) => {
      if (families.has(name)) return true;
      const base = /^(.*)_(bucket|sum|count)$/.exec(name);
      if (!base) return false;
      const type = families.get(base[1]!);
      return type === 'histogram' || (type === 'summary' && base[2] !== 'bucket');
    };
    expect(dashboardMetrics.filter((name) => !exposed(name))).toEqual([]);
  });
});

/**
 * `npm run bench` — load scenarios against a real server, PostgreSQL and sockets on this
 * machine, printing figures and writing bench/results/<date>-<commit>.json.
 *
 *   npm run bench                         the standard set (a few minutes)
 *   npm run bench -- pairs --pairs 50 --rate 40 --seconds 10
 *   npm run bench -- room --members 200 --senders 4 --rate 300
 *   npm run bench -- connections --count 15000
 *   npm run bench -- connections --count 100000 --nodes 6
 *   npm run bench -- history --messages 10000000
 *   npm run bench -- history --messages 10000000 --compare .scratch/old/dist/server/main.js   A/B on one seeded database
 *   npm run bench -- reconnect --users 2000 --conversations 10 --missed 20   everyone back at once, catching up by sync
 *   npm run bench -- batch                PostgreSQL's CPU per message of the send statement by batch size
 *   npm run bench -- costs --body text    ... and what each index and foreign key of messages adds to it
 *   npm run bench -- costs --parts statement   ... and what each step of the statement itself costs
 *   npm run bench -- costs --parts statement --size 1   ... in batches of one send (the statement's fixed cost)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { messaging } from './scenarios/messaging.js';
import { relay } from './scenarios/relay.js';
import { pgInsert } from './scenarios/pg-insert.js';
import { connections } from './scenarios/connections.js';
import { list } from './scenarios/list.js';
import { history } from './scenarios/history.js';
import { batch, costs } from './scenarios/batch.js';
import { reconnect } from './scenarios/reconnect.js';

// The scenarios run the built server (dist/), as production does.
const ensureBuildModule = '../scripts/ensure-build.mjs';
((await import(ensureBuildModule)) as { ensureBuild: () => void }).ensureBuild();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pairs: { type: 'string', default: '50' },
    members: { type: 'string', default: '200' },
    senders: { type: 'string', default: '4' },
    rate: { type: 'string' },
    window: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    // Sending before the measured seconds (messaging and relay); its figures are reported apart.
    warmup: { type: 'string', default: '1' },
    count: { type: 'string', default: '10000' },
    nodes: { type: 'string', default: '1' },
    messages: { type: 'string', default: '1000000' },
    // History pages (each followed by a /healthz, the floor); p99 is the 20th slowest of 2,000.
    requests: { type: 'string', default: '2000' },
    // history and reconnect: another build's server entry (its dist/ copied inside the project, so its packages
    // resolve), measured in turn with this one on the one seeded database; `--cycles` of 4 rounds.
    compare: { type: 'string' },
    cycles: { type: 'string', default: '2' },
    // reconnect: users coming back at once, each in `conversations` chats with `missed` messages unseen in each.
    users: { type: 'string', default: '2000' },
    conversations: { type: 'string', default: '10' },
    missed: { type: 'string', default: '20' },
    // costs: rounds of 9,000 messages in each database (2,000 for batches of fewer than 10 sends).
    rounds: { type: 'string', default: '21' },
    // costs: sends per batch (45: a batch at about 10,000 msgs/s; 1 to 4 at 2,000 msgs/s).
    size: { type: 'string', default: '45' },
    // costs: the parts of the messages table (`table`) or the steps of the send statement (`statement`).
    parts: { type: 'string', default: 'table' },
    // Messaging scenarios and costs: 'uuid' (new words in every message) or 'text' (everyday sentences).
    body: { type: 'string', default: 'uuid' },
    // Messaging scenarios: sample what PostgreSQL's busy backends wait on (costs it a little CPU).
    waits: { type: 'boolean', default: false },
    // Messaging scenarios: receivers answer every message with `delivered`, as clients do.
    receipts: { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof values, fallback?: number) => Number(values[k] ?? fallback);
const body = () => {
  if (values.body !== 'uuid' && values.body !== 'text') throw new Error('--body is uuid or text');
  return values.body;
};

type Result = Record<string, unknown>;
const scenarios: Record<string, () => Promise<Result[]>> = {
  throughput: async () => [
    await messaging({
      shape: 'pairs',
      pairs: num('pairs'),
      members: 0,
      senders: 0,
      rate: 0,
      window: num('window'),
      warmup: num('warmup'),
      seconds: num('seconds'),
      body: body(),
      waits: values.waits,
      receipts: values.receipts,
    }),
  ],
  pairs: async () => [
    await messaging({
      shape: 'pairs',
      pairs: num('pairs'),
      members: 0,
      senders: 0,
      rate: num('rate', 40),
      window: 0,
      warmup: num('warmup'),
      seconds: num('seconds'),
      body: body(),
      waits: values.waits,
      receipts: values.receipts,
    }),
  ],
  ceiling: async () => [
    await pgInsert({ clients: 8, seconds: num('seconds') / 2 }),
    await relay({
      shape: 'pairs',
      pairs: num('pairs'),
      members: 0,
      senders: 0,
      window: num('window'),
      warmup: num('warmup'),
      seconds: num('seconds'),
    }),
    await relay({
      shape: 'room',
      pairs: 0,
      members: num('members'),
      senders: num('senders'),
      window: num('window'),
      warmup: num('warmup'),
      seconds: num('seconds'),
    }),
  ],
  connections: async () => [await connections({ count: num('count'), concurrency: 100, nodes: num('nodes') })],
  list: async () => [await list({ sizes: [1, 10, 100, 500], requests: 50 })],
  history: async () => [
    await history({
      messages: num('messages'),
      conversations: 1000,
      requests: num('requests'),
      searches: 120,
      compare: values.compare,
      cycles: num('cycles'),
    }),
  ],
  reconnect: async () => [
    await reconnect({
      users: num('users'),
      conversations: num('conversations'),
      missed: num('missed'),
      concurrency: 100,
      compare: values.compare,
      cycles: num('cycles'),
    }),
  ],
  batch: async () => [await batch({ sizes: [1, 10, 50, 200, 500], messagesPerRound: 5000, rounds: 5 })],
  costs: async () => {
    if (values.parts !== 'table' && values.parts !== 'statement') throw new Error('--parts is table or statement');
    return [
      await costs({
        size: num('size'),
        messagesPerRound: num('size') < 10 ? 2000 : 9000,
        rounds: num('rounds'),
        body: body(),
        parts: values.parts,
      }),
    ];
  },
  room: async () => [
    await messaging({
      shape: 'room',
      pairs: 0,
      members: num('members'),
      senders: num('senders'),
      rate: num('rate', 300),
      window: 0,
      warmup: num('warmup'),
      seconds: num('seconds'),
      body: body(),
      waits: values.waits,
      receipts: values.receipts,
    }),
  ],
};

const chosen = positionals.length
  ? positionals
  : ['ceiling', 'throughput', 'pairs', 'room', 'list', 'history', 'reconnect', 'connections'];
// A run on uncommitted changes says so (`<commit>-dirty`): its figures are not that commit's.
// (Untracked files, such as new results, do not count.)
const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no']).toString().trim() !== '';
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim() + (dirty ? '-dirty' : '');
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memory_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
/** Another build's server entry (A/B runs), if any: the figures are that build's, not `commit`'s. */
const server = process.env.BENCH_SERVER || null;
/** Node.js or V8 flags given to the server (BENCH_NODE_ARGS), if any: the figures are with them. */
const nodeArgs = process.env.BENCH_NODE_ARGS?.trim() || null;
if (server && values.compare) throw new Error('BENCH_SERVER or --compare, not both');
const results: Result[] = [];
for (const name of chosen) {
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  console.log(`\n== ${name}`);
  for (const r of await run()) {
    console.log(JSON.stringify(r, null, 2));
    results.push(r);
  }
}
mkdirSync('bench/results', { recursive: true });
// A run with other bodies than the default says so in its name (and is not overwritten by one with the default).
// A run of another build (BENCH_SERVER) says so too, and names that build in the file.
// So does an A/B run (--compare): its figures are two builds'. And one with flags for the
// server (BENCH_NODE_ARGS), named in the file.
const suffix =
  (values.body === 'uuid' ? '' : `-${values.body}`) +
  (server ? '-other-build' : '') +
  (values.compare ? '-ab' : '') +
  (nodeArgs ? '-node-args' : '');
const base = `bench/results/${new Date().toISOString().slice(0, 10)}-${commit}-${chosen.join('+')}${suffix}`;
// Never over an earlier run's file: the next free -2, -3, ...
let file = `${base}.json`;
for (let n = 2; existsSync(file); n++) file = `${base}-${n}.json`;
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      commit,
      ...(server ? { server } : {}),
      ...(nodeArgs ? { node_args: nodeArgs } : {}),
      machine,
      results,
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${file}`);

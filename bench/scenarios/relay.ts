import WebSocket from 'ws';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpuSeconds, percentiles, sleep } from '../lib.js';

/** The bare relay (bench/relay-server.mjs) under the same load shapes as the real server. */
export async function relay(o: {
  shape: 'pairs' | 'room';
  pairs: number;
  members: number;
  senders: number;
  window: number;
  /** Seconds of sending before the measured ones, as for the real server. */
  warmup: number;
  seconds: number;
}) {
  const child = spawn(process.execPath, ['bench/relay-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout!.on('data', (d) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    }),
  );
  const open = (room: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, skipUTF8Validation: true });
      ws.once('open', () => ws.send(JSON.stringify({ join: room })));
      ws.once('message', () => resolve(ws));
      ws.once('error', reject);
    });
  try {
    const senders: WebSocket[] = [];
    const receivers: WebSocket[] = [];
    if (o.shape === 'pairs') {
      for (let i = 0; i < o.pairs; i++) {
        senders.push(await open(`p${i}`));
        receivers.push(await open(`p${i}`));
      }
    } else {
      for (let i = 0; i < o.members; i++) (i < o.senders ? senders : receivers).push(await open('room'));
    }
    const sentAt = new Map<string, number>();
    let measureFrom = Infinity;
    const ackMs: number[] = [];
    let acked = 0;
    let delivered = 0;
    let sending = true;
    const sendOne = (ws: WebSocket) => {
      const clientId = randomUUID();
      sentAt.set(clientId, performance.now());
      ws.send(JSON.stringify({ conversation_id: 'x', content: `bench ${clientId}`, client_id: clientId }));
    };
    for (const r of receivers) r.on('message', () => delivered++);
    for (const s of senders) {
      s.on('message', (data) => {
        const clientId = /"client_id":"([^"]+)"/.exec(data.toString())![1]!;
        const t = sentAt.get(clientId)!;
        if (t >= measureFrom) ackMs.push(performance.now() - t);
        acked++;
        if (sending) sendOne(s);
      });
    }
    for (const s of senders) for (let i = 0; i < o.window; i++) sendOne(s);
    await sleep(o.warmup * 1000);
    measureFrom = performance.now();
    const at0 = { acked, delivered };
    const c0 = cpuSeconds(child.pid!);
    await sleep(o.seconds * 1000);
    sending = false;
    const elapsed = (performance.now() - measureFrom) / 1000;
    const cpu = (cpuSeconds(child.pid!) - c0) / elapsed;
    for (const ws of [...senders, ...receivers]) ws.terminate();
    return {
      scenario: `relay-${o.shape}`,
      options: o,
      acked_per_second: Math.round((acked - at0.acked) / elapsed),
      deliveries_per_second: Math.round((delivered - at0.delivered) / elapsed),
      ack_ms: percentiles(ackMs),
      relay_cpu_cores: Math.round(cpu * 100) / 100,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

import { expect, test, type Locator } from '@playwright/test';
import { createTestDatabase } from '../../test/helpers/db.js';
import { readiness, spawnNode, spawnRedis, waitFor } from '../../test/helpers/processes.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';
import { actions, bubbles, openChatWith, openFromList, own, send, signUp, type Person } from './helpers.js';

// Two nodes on one Redis; node B reaches it through a proxy the test cuts and heals. The
// browsers' sockets stay open through the cut: only the link between the nodes is down.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let nodes: Awaited<ReturnType<typeof spawnNode>>[] = [];
test.beforeAll(async () => {
  db = await createTestDatabase();
  redis = await spawnRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  nodes = await Promise.all([
    spawnNode({ DATABASE_URL: db.url, REDIS_URL: redis.url }),
    spawnNode({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
  ]);
});
test.afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await proxy?.close();
  await redis?.kill('SIGKILL');
  await db?.drop();
});

const theirs = (p: Person, text: string) => p.page.getByTestId('their-message').filter({ hasText: text });
const chip = (scope: Locator, emoji: string) => scope.getByTestId('reaction-chip').filter({ hasText: emoji });

test('what was sent, edited and reacted to while the nodes could not reach each other shows without a reload', async ({
  browser,
}, info) => {
  const [nodeA, nodeB] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  // One after the other, each with its log if it never gets there (beside other specs, on two
  // busy cores, a node took more than 15 s once).
  for (const node of [nodeA, nodeB])
    await waitFor(
      async () => (await readiness(node.url)) === 'ready',
      `${node.url} ready`,
      30_000,
      () => node.output().slice(-3000),
    );
  const eve = await signUp(browser, nodeA.url, 'Eve On A', info.project.use);
  const fay = await signUp(browser, nodeB.url, 'Fay On B', info.project.use);
  await openChatWith(eve, fay);
  await send(eve, 'Lunch?');
  await send(eve, 'Anyone?');
  await openFromList(fay, 'Eve On A');
  await expect(bubbles(fay)).toHaveText(['Lunch?', 'Anyone?']);

  proxy.cut('reset');
  await waitFor(async () => (await readiness(nodeB.url)) === 'degraded', 'node B degraded', 10_000);
  await (await actions(eve, own(eve, 'Lunch?'))).getByRole('menuitem', { name: 'Edit' }).click();
  await eve.page.getByRole('textbox', { name: 'Message' }).fill('Lunch at noon?');
  await eve.page.getByRole('button', { name: 'Save' }).click();
  await expect(own(eve, 'Lunch at noon?').getByTestId('edited')).toBeVisible();
  await (await actions(eve, own(eve, 'Anyone?'))).getByRole('menuitem', { name: 'React with ❤️' }).click();
  await expect(chip(own(eve, 'Anyone?').locator('xpath=..'), '❤️')).toBeVisible();
  await send(eve, 'Still there?');
  await expect(own(eve, 'Still there?')).toBeVisible();
  // Fay's socket never closed: her device shows itself online, and the old state.
  await expect(fay.page.getByTestId('connection')).toHaveAttribute('data-state', 'online');
  await expect(bubbles(fay)).toHaveText(['Lunch?', 'Anyone?']);

  proxy.restore();
  await expect(bubbles(fay)).toHaveText(['Lunch at noon?', 'Anyone?', 'Still there?'], { timeout: 20_000 });
  await expect(theirs(fay, 'Lunch at noon?').getByTestId('edited')).toBeVisible();
  await expect(chip(theirs(fay, 'Anyone?').locator('xpath=..'), '❤️').getByTestId('reaction-count')).toHaveText('1');
  // Read where she is: the open chat's new message is read, and the list says so.
  await expect(fay.page.getByRole('list', { name: 'Chats' }).getByTestId('unread')).toHaveCount(0);
  await fay.page.screenshot({ path: `test-results/screens/${info.project.name}-after-resync.png` });
  for (const p of [eve, fay]) await p.page.context().close();
});

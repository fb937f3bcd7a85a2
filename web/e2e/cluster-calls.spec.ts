import { expect, test } from '@playwright/test';
import { twoNodes } from './two-nodes.js';
import { openChatWith, signUp } from './helpers.js';

// Calls across two nodes while the link between them is down (decision 038). (Runs in the
// calls project: its name ends in calls.spec.ts.) A ring that outlasts a cut, a heal and the
// 10 s between a node's catch-up passes.
const cluster = twoNodes({ CALL_RING_TIMEOUT_MS: '60000' });

test('a ring cancelled while the nodes could not reach each other stops once they can; a call placed meanwhile rings then', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  await cluster.ready();
  const eve = await signUp(browser, cluster.a.url, 'Eve Calls On A');
  const fay = await signUp(browser, cluster.b.url, 'Fay Rings On B');
  await openChatWith(eve, fay);
  const incoming = fay.page.getByRole('dialog', { name: 'Incoming call' });
  const eveInCall = eve.page.getByRole('dialog', { name: /call with/ });

  // It rings on Fay's device; the link goes down and Eve gives up: her cancel never reaches B.
  await eve.page.getByRole('button', { name: 'Voice call' }).click();
  await expect(incoming).toContainText('Eve Calls On A');
  await cluster.cut();
  await eve.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(eveInCall).toHaveCount(0, { timeout: 15_000 });
  await fay.page.waitForTimeout(1_000);
  await expect(incoming).toBeVisible();
  await expect(fay.page.getByTestId('connection')).toHaveAttribute('data-state', 'online');
  // Once it is back, B asks Fay's socket to catch up, and her device sees the call is over.
  cluster.restore();
  await expect(incoming).toHaveCount(0, { timeout: 20_000 });

  // Down again, Eve calls: the offer never reaches B. Back up, Fay's device asks what rings for
  // her, rings, and her answer reaches Eve.
  await cluster.cut();
  await eve.page.getByRole('button', { name: 'Voice call' }).click();
  await expect(eve.page.getByTestId('call-status')).toHaveText('Calling…');
  await fay.page.waitForTimeout(1_000);
  await expect(incoming).toHaveCount(0);
  cluster.restore();
  await expect(incoming).toContainText('Eve Calls On A', { timeout: 30_000 });
  await fay.page.screenshot({ path: 'test-results/screens/calls-ring-after-resync.png' });
  await incoming.getByRole('button', { name: 'Decline' }).click();
  await expect(eve.page.getByTestId('call-status')).toHaveText('Call declined', { timeout: 15_000 });
  await expect(eve.page.getByTestId('call-event').last()).toHaveText(/Voice call declined/);
  for (const p of [eve, fay]) await p.page.context().close();
});

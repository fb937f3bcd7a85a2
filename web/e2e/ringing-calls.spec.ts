import { expect, test } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { openChatWith, signUp } from './helpers.js';

// Who rings, and what the caller is told: the callee offline, a device that opens during the
// ring, a device that was offline while the call ended. (Runs in the calls project: its name
// ends in calls.spec.ts.)

test('calling someone offline says so while it rings; calling someone online does not', async ({ browser }) => {
  const server = await startAppServer();
  try {
    const ann = await signUp(browser, server.url, 'Ann Caller');
    const ben = await signUp(browser, server.url, 'Ben Away');
    await openChatWith(ann, ben);
    await expect(ann.page.getByTestId('status-line')).toHaveText('online');
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(ben.page.getByRole('dialog', { name: 'Incoming call' })).toBeVisible();
    await expect(ann.page.getByTestId('call-status')).toHaveText('Calling…');
    await expect(ann.page.getByTestId('call-hint')).toHaveCount(0);
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });

    // Ben's only device goes away: his phone would not ring, and Ann is told.
    await ben.page.close();
    await expect(ann.page.getByTestId('status-line')).not.toHaveText('online');
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(ann.page.getByTestId('call-status')).toHaveText('Calling…');
    await expect(ann.page.getByTestId('call-hint')).toHaveText(
      'Ben Away is offline. If nobody answers, they will see a missed call.',
    );
    await ann.page.screenshot({ path: 'test-results/screens/calls-offline-callee.png' });
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
  } finally {
    await server.close();
  }
});

test('a device that opens while a call rings rings too; a ring that ended while a device was offline goes when it is back', async ({
  browser,
}) => {
  const server = await startAppServer();
  try {
    const ann = await signUp(browser, server.url, 'Ann Dialer');
    const ben = await signUp(browser, server.url, 'Ben Later');
    await openChatWith(ann, ben);
    const context = ben.page.context();
    await ben.page.close();
    await expect(ann.page.getByTestId('status-line')).not.toHaveText('online');
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(ann.page.getByTestId('call-hint')).toContainText('Ben Later is offline');

    // Ben opens the app during the ring: it rings there, and he answers.
    const page = await context.newPage();
    await page.goto(server.url);
    const incoming = page.getByRole('dialog', { name: 'Incoming call' });
    await expect(incoming).toContainText('Ann Dialer');
    await expect(ann.page.getByTestId('call-hint')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screens/calls-ring-on-open.png' });
    await incoming.getByRole('button', { name: 'Accept' }).click();
    await expect(ann.page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/, { timeout: 20_000 });
    await expect(page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/, { timeout: 20_000 });
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });

    // It rings on Ben's device, which then loses the network; Ann gives up meanwhile. Back
    // online, Ben's device learns that the call is over and stops ringing.
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(incoming).toBeVisible();
    await context.setOffline(true);
    await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'online');
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await expect(ann.page.getByRole('dialog', { name: /call with/ })).toHaveCount(0, { timeout: 15_000 });
    await expect(incoming).toBeVisible();
    await context.setOffline(false);
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
    await expect(incoming).toHaveCount(0);

    // Ann's device loses the network while it calls: the server ends the call when her socket
    // goes (Ben's ring stops), and her device, back online, says the call dropped.
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    await expect(incoming).toBeVisible();
    await ann.page.context().setOffline(true);
    await expect(incoming).toHaveCount(0, { timeout: 30_000 });
    await expect(ann.page.getByTestId('call-status')).toHaveText('Calling…');
    await ann.page.context().setOffline(false);
    await expect(ann.page.getByTestId('call-status')).toHaveText('Call dropped', { timeout: 20_000 });
  } finally {
    await server.close();
  }
});

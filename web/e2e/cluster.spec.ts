import { expect, test, type Locator } from '@playwright/test';
import { twoNodes } from './two-nodes.js';
import { actions, bubbles, openChatWith, openFromList, own, send, signUp, theirs } from './helpers.js';

const cluster = twoNodes();

const chip = (scope: Locator, emoji: string) => scope.getByTestId('reaction-chip').filter({ hasText: emoji });

test('what was sent, edited and reacted to while the nodes could not reach each other shows without a reload', async ({
  browser,
}, info) => {
  await cluster.ready();
  const eve = await signUp(browser, cluster.a.url, 'Eve On A', info.project.use);
  const fay = await signUp(browser, cluster.b.url, 'Fay On B', info.project.use);
  await openChatWith(eve, fay);
  await send(eve, 'Lunch?');
  await send(eve, 'Anyone?');
  await openFromList(fay, 'Eve On A');
  await expect(bubbles(fay)).toHaveText(['Lunch?', 'Anyone?']);

  await cluster.cut();
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

  cluster.restore();
  await expect(bubbles(fay)).toHaveText(['Lunch at noon?', 'Anyone?', 'Still there?'], { timeout: 20_000 });
  await expect(theirs(fay, 'Lunch at noon?').getByTestId('edited')).toBeVisible();
  await expect(chip(theirs(fay, 'Anyone?').locator('xpath=..'), '❤️').getByTestId('reaction-count')).toHaveText('1');
  // Read where she is: the open chat's new message is read, and the list says so.
  await expect(fay.page.getByRole('list', { name: 'Chats' }).getByTestId('unread')).toHaveCount(0);
  await fay.page.screenshot({ path: `test-results/screens/${info.project.name}-after-resync.png` });
  for (const p of [eve, fay]) await p.page.context().close();
});

import { mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { signUp } from './helpers.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('a password can be shown to check it, and hidden again; the form still signs in with Enter', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  const password = page.getByLabel('Password', { exact: true });
  await password.fill('correct horse battery');
  await expect(password).toHaveAttribute('type', 'password');
  const show = page.getByRole('button', { name: 'Show', exact: true });
  await expect(show).toHaveAttribute('aria-pressed', 'false');
  await show.click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(password).toHaveValue('correct horse battery');
  const hide = page.getByRole('button', { name: 'Hide', exact: true });
  await expect(hide).toHaveAttribute('aria-pressed', 'true');
  mkdirSync('test-results/screens', { recursive: true });
  await page.screenshot({ path: `test-results/screens/${test.info().project.name}-password-shown.png` });
  await hide.click();
  await expect(password).toHaveAttribute('type', 'password');

  // Enter in a field submits the form (the toggle is no submit button).
  const username = `shown${Date.now().toString(36)}`;
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill('Shown Password');
  await page.getByLabel('Email').fill(`${username}@example.test`);
  await password.press('Enter');
  await expect(page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
});

test('a brand-new account is told how to start its first chat, not to pick one from an empty list', async ({
  browser,
}, info) => {
  const eve = await signUp(browser, server.url, 'Eve New', { ...info.project.use });
  try {
    await expect(eve.page.getByText('No chats yet. Search for someone above to start one.')).toBeVisible();
    if (info.project.name !== 'phone') {
      await expect(eve.page.getByText('to start your first chat')).toBeVisible();
      await expect(eve.page.getByText('Pick a chat on the left')).toHaveCount(0);
    }
  } finally {
    await eve.page.context().close();
  }
});

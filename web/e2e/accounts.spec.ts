import { randomBytes } from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import pg from 'pg';
import { startAppServer } from './app-server.js';
import { deviceOf, isPhone, openChatWith, send, shot, signUp, type Person } from './helpers.js';

const PASSWORD = 'correct horse battery';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

/** Fills the sign-in form on a page that shows it, and waits for the chat list. */
async function signInOn(page: Page, login: string, password = PASSWORD) {
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** A new browser context (a second device) signed in as someone who exists. */
async function signInNew(browser: Browser, url: string, login: string, password = PASSWORD): Promise<Page> {
  const page = await (await browser.newContext(deviceOf())).newPage();
  await page.goto(url);
  await signInOn(page, login, password);
  await expect(page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  return page;
}

async function menu(page: Page, item: string) {
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/** Saves a new display name in Settings. */
async function rename(page: Page, name: string) {
  await menu(page, 'Settings');
  const settings = page.getByRole('region', { name: 'Settings' });
  await settings.getByLabel('Display name').fill(name);
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(settings.getByText('Saved.')).toBeVisible();
}

const signedOut = (page: Page) => expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

/** An email link's token, made the way the server makes them (only its sha256 is stored). */
async function insertToken(databaseUrl: string, username: string, purpose: 'verify_email' | 'reset_password') {
  const token = randomBytes(32).toString('base64url');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; email: string }>(
      'SELECT id, email FROM users WHERE username = $1',
      [username],
    );
    await client.query(
      `INSERT INTO email_tokens (user_id, purpose, token_hash, email, expires_at)
       VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $4, now() + interval '1 day')`,
      [rows[0]!.id, purpose, token, rows[0]!.email],
    );
  } finally {
    await client.end();
  }
  return token;
}

test('the first account is the admin; disabling someone signs them out at once', async ({ browser }) => {
  // A server of its own: "first account" must mean the first of this test.
  const fresh = await startAppServer();
  const people: Person[] = [];
  try {
    const ada = await signUp(browser, fresh.url, 'Ada Admin', deviceOf());
    people.push(ada);
    const bob = await signUp(browser, fresh.url, 'Bob Member', deviceOf());
    people.push(bob);

    // Only the admin has the Admin entry.
    await bob.page.getByRole('button', { name: 'Menu' }).click();
    await expect(bob.page.getByRole('menuitem', { name: 'Settings' })).toBeVisible();
    await expect(bob.page.getByRole('menuitem', { name: 'Admin' })).toHaveCount(0);
    await bob.page.keyboard.press('Escape');
    await bob.page.goto(`${fresh.url}/admin`);
    await expect(bob.page.getByRole('heading', { name: 'Admin' })).toHaveCount(0);
    await expect(bob.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();

    await menu(ada.page, 'Admin');
    const admin = ada.page.getByRole('region', { name: 'Admin' });
    await expect(admin.getByRole('heading', { name: 'Admin' })).toBeVisible();
    await expect(admin.getByTestId('stat-users')).toHaveText('2');
    await expect(admin.getByTestId('stat-disabled_users')).toHaveText('0');
    // Both are online; after a reload too (Ada's own socket connects after the page's first load).
    await expect(admin.getByTestId('stat-online_now')).toHaveText('2');
    await ada.page.reload();
    await expect(admin.getByTestId('stat-online_now')).toHaveText('2');
    await expect(admin.getByTestId('admin-user').filter({ visible: true })).toHaveCount(2);
    await expect(admin.getByRole('button', { name: `Disable ${ada.username}` })).toHaveCount(0);
    await shot(ada.page, 'admin');

    // Search finds Bob; disabling asks first.
    await admin.getByRole('searchbox', { name: 'Search users' }).fill(bob.username);
    await expect(admin.getByTestId('admin-user').filter({ visible: true })).toHaveCount(1);
    await admin.getByRole('button', { name: `Disable ${bob.username}` }).click();
    const confirm = ada.page.getByRole('dialog', { name: 'Disable Bob Member?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toHaveCount(0);
    await admin.getByRole('button', { name: `Disable ${bob.username}` }).click();
    await shot(ada.page, 'admin-confirm');
    await confirm.getByRole('button', { name: 'Disable account' }).click();
    await expect(admin.getByRole('button', { name: `Enable ${bob.username}` })).toBeVisible();
    await expect(admin.getByTestId('admin-user').filter({ visible: true })).toContainText('Disabled');
    await expect(admin.getByTestId('stat-disabled_users')).toHaveText('1');
    // Signed out everywhere, Bob is no longer online: the numbers are loaded again every 15 s.
    await expect(admin.getByTestId('stat-online_now')).toHaveText('1', { timeout: 20_000 });

    // Bob's open page lands on the sign-in screen, saying why, and he cannot sign in.
    await signedOut(bob.page);
    await expect(bob.page.getByRole('alert')).toHaveText('Your account was disabled.');
    await shot(bob.page, 'disabled-signed-out');
    await signInOn(bob.page, bob.username);
    await expect(bob.page.getByRole('alert')).toHaveText(
      'This account has been disabled. An administrator can enable it again.',
    );

    // Enabled again, he can.
    await admin.getByRole('button', { name: `Enable ${bob.username}` }).click();
    await expect(admin.getByRole('button', { name: `Disable ${bob.username}` })).toBeVisible();
    await signInOn(bob.page, bob.username);
    await expect(bob.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();

    // On a phone the admin page is a pane of its own, with a way back.
    if (isPhone()) {
      await ada.page.getByRole('button', { name: 'Back' }).click();
      await expect(ada.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
    }
  } finally {
    for (const p of people) await p.page.context().close();
    await fresh.close();
  }
});

test('settings: sign out another session, all other sessions, and change the password', async ({ browser }) => {
  const carol = await signUp(browser, server.url, 'Carol Sessions', deviceOf());
  const other = await signInNew(browser, server.url, carol.username);

  await menu(carol.page, 'Settings');
  const settings = carol.page.getByRole('region', { name: 'Settings' });
  // Focus goes to the page's title (for screen readers), without drawing a ring around it, also
  // when the page is opened by its address (no click before: Chromium would draw the ring).
  await carol.page.reload();
  const title = settings.getByRole('heading', { name: 'Settings' });
  await expect(title).toBeFocused();
  expect(await title.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).outlineStyle)).toBe('none');
  await expect(settings.getByTestId('email-address')).toHaveText(`${carol.username}@example.test`);
  await expect(settings.getByText('Not verified')).toBeVisible();
  const sessions = settings.getByRole('list', { name: 'Sessions' });
  await expect(sessions.getByTestId('session')).toHaveCount(2);
  await expect(sessions.getByText('This device')).toHaveCount(1);
  await expect(sessions.getByTestId('session').filter({ hasText: 'This device' })).toContainText('Active now');
  await expect(sessions.getByTestId('session').first()).toContainText('Chrome on');
  // This server has no TURN relay: relaying calls cannot be turned on, and the card says why.
  await expect(settings.getByText('This server has no relay set up')).toBeVisible();
  const relay = settings.getByRole('checkbox', { name: 'Relay my calls' });
  await expect(relay).toBeDisabled();
  await expect(relay).toHaveAccessibleDescription(/never see your IP address.*no relay set up/);
  await shot(carol.page, 'settings');
  await settings.getByRole('heading', { name: 'Sessions' }).scrollIntoViewIfNeeded();
  await shot(carol.page, 'settings-sessions');

  // One session: the other device is signed out at once.
  await sessions.getByRole('button', { name: /^Sign out/ }).click();
  await signedOut(other);
  await expect(other.getByRole('alert')).toContainText('Your session has ended');
  await expect(sessions.getByTestId('session')).toHaveCount(1);
  await expect(settings.getByRole('button', { name: 'Sign out all other sessions' })).toBeDisabled();

  // All others: the page survives a reload (it lives at /settings).
  await signInOn(other, carol.username);
  await expect(other.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  await carol.page.reload();
  await expect(sessions.getByTestId('session')).toHaveCount(2);
  await settings.getByRole('button', { name: 'Sign out all other sessions' }).click();
  await expect(settings.getByText('Signed out 1 other session.')).toBeVisible();
  await signedOut(other);

  // Change the password: a wrong current one is refused; then the other device is signed out.
  await signInOn(other, carol.username);
  await expect(other.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  // (Asked once: a wrong password is the answer, not a stale token to renew and try again with.)
  const passwordChecks: string[] = [];
  carol.page.on('request', (r) => {
    if (r.url().endsWith('/api/users/me/password')) passwordChecks.push(r.url());
  });
  await settings.getByLabel('Current password').fill('not my password');
  await settings.getByLabel('New password').fill('a brand new secret');
  await settings.getByRole('button', { name: 'Change password' }).click();
  await expect(settings.getByRole('alert')).toHaveText('The current password is incorrect');
  expect(passwordChecks).toHaveLength(1);
  await settings.getByLabel('Current password').fill(PASSWORD);
  await settings.getByLabel('New password').fill('a brand new secret');
  await settings.getByRole('button', { name: 'Change password' }).click();
  await expect(settings.getByText('Password changed. Your other devices were signed out.')).toBeVisible();
  await signedOut(other);
  await signInOn(other, carol.username);
  await expect(other.getByRole('alert')).toHaveText('Email or password is incorrect');
  await signInOn(other, carol.username, 'a brand new secret');
  await expect(other.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  // This device stayed signed in.
  await expect(settings.getByText('This device')).toBeVisible();

  if (isPhone()) {
    await carol.page.getByRole('button', { name: 'Back' }).click();
    await expect(carol.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  }
  await carol.page.context().close();
  await other.context().close();
});

test('verify-email: a bad link says so; a good one confirms the address and the banner goes', async ({ browser }) => {
  // Signed out, a link that is not one.
  const stranger = await (await browser.newContext(deviceOf())).newPage();
  await stranger.goto(`${server.url}/verify-email?token=${'x'.repeat(43)}`);
  await expect(stranger.getByRole('heading', { name: 'Link not valid' })).toBeVisible();
  await expect(stranger.getByRole('alert')).toHaveText('This link is invalid, used or expired; ask for a new one');
  await stranger.getByRole('button', { name: 'Continue to Chatify' }).click();
  await signedOut(stranger);
  expect(new URL(stranger.url()).pathname).toBe('/');
  await stranger.context().close();

  // Signed in and unverified: the banner shows, and asking again too soon is refused politely.
  const dan = await signUp(browser, server.url, 'Dan Verify', deviceOf());
  const banner = dan.page.getByRole('region', { name: 'Confirm your email' });
  await expect(banner).toContainText(`${dan.username}@example.test`);
  await banner.getByRole('button', { name: 'Email me a new link' }).click();
  await expect(banner.getByRole('alert')).toContainText('try again in');

  const token = await insertToken(server.databaseUrl, dan.username, 'verify_email');
  // Confirmed from the link on another device, signed out there (the mail app of a phone):
  // the banner of the app open here goes at once, untouched.
  const mailApp = await (await browser.newContext(deviceOf())).newPage();
  await mailApp.goto(`${server.url}/verify-email?token=${token}`);
  await expect(mailApp.getByRole('heading', { name: 'Email confirmed' })).toBeVisible();
  await shot(mailApp, 'verify-email-confirmed');
  await expect(banner).toHaveCount(0);
  await mailApp.context().close();
  // A tab opened now has no banner either.
  const tab = await dan.page.context().newPage();
  await tab.goto(server.url);
  await expect(tab.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  await expect(tab.getByRole('region', { name: 'Confirm your email' })).toHaveCount(0);
  await tab.close();
  await menu(dan.page, 'Settings');
  await expect(dan.page.getByRole('region', { name: 'Settings' }).getByText('Verified', { exact: true })).toBeVisible();

  // A link works once.
  await dan.page.goto(`${server.url}/verify-email?token=${token}`);
  await expect(dan.page.getByRole('alert')).toHaveText('This link is invalid, used or expired; ask for a new one');
  await dan.page.context().close();

  // The banner can be put away for the session.
  const eve = await signUp(browser, server.url, 'Eve Later', deviceOf());
  const eveBanner = eve.page.getByRole('region', { name: 'Confirm your email' });
  await eveBanner.getByRole('button', { name: 'Dismiss' }).click();
  await expect(eveBanner).toHaveCount(0);
  await eve.page.reload();
  await expect(eve.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  await expect(eveBanner).toHaveCount(0);
  await eve.page.context().close();
});

test('forgot password: ask for a link, then choose a new password from it', async ({ browser }) => {
  const fay = await signUp(browser, server.url, 'Fay Forgot', deviceOf());

  const page = await (await browser.newContext(deviceOf())).newPage();
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await page.getByLabel('Email or username').fill(fay.username);
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.getByText('If an account exists for that email or username, we sent a link')).toBeVisible();
  await shot(page, 'forgot-sent');
  await page.getByRole('button', { name: 'Back to sign in' }).click();
  await signedOut(page);

  const token = await insertToken(server.databaseUrl, fay.username, 'reset_password');
  await page.goto(`${server.url}/reset-password?token=${token}`);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  const first = page.getByLabel('New password', { exact: true });
  const second = page.getByLabel('Confirm new password');
  const submit = page.getByRole('button', { name: 'Change password' });
  await first.fill('short');
  await second.fill('short');
  await submit.click();
  await expect(page.getByRole('alert')).toHaveText('The password must be at least 8 characters.');
  await first.fill('a whole new password');
  await second.fill('a whole new passwort');
  await submit.click();
  await expect(page.getByRole('alert')).toHaveText('The two passwords do not match.');
  await shot(page, 'reset-password');
  await second.fill('a whole new password');
  await submit.click();

  // To the sign-in screen, which says what happened; the new password works, the old does not.
  await signedOut(page);
  await expect(page.getByText('Password changed. Sign in with your new password.')).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/');
  await signInOn(page, fay.username);
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect');
  await signInOn(page, fay.username, 'a whole new password');
  await expect(page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();

  // Every session ended with the reset, Fay's first device's too.
  await signedOut(fay.page);

  // The link is spent; the page offers to ask for a new one.
  const spent = fay.page;
  await spent.goto(`${server.url}/reset-password?token=${token}`);
  await spent.getByLabel('New password', { exact: true }).fill('yet another password');
  await spent.getByLabel('Confirm new password').fill('yet another password');
  await spent.getByRole('button', { name: 'Change password' }).click();
  await expect(spent.getByRole('alert')).toHaveText('This link is invalid, used or expired; ask for a new one');
  await spent.getByRole('button', { name: 'Ask for a new one' }).click();
  await expect(spent.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await expect(spent.getByLabel('Email or username')).toBeVisible();

  await page.context().close();
  await fay.page.context().close();
});

test('a new display name reaches the open apps of the people one chats with', async ({ browser }) => {
  const eve = await signUp(browser, server.url, 'Eve Before', deviceOf());
  const fay = await signUp(browser, server.url, 'Fay Friend', deviceOf());
  try {
    await openChatWith(fay, eve);
    await send(fay, 'hello Eve');
    await expect(fay.page.getByRole('heading', { name: 'Eve Before' })).toBeVisible();

    // Eve's other device (a second tab with its own socket) shows her name at the top.
    const other = await eve.page.context().newPage();
    await other.goto(server.url);
    const ownName = other.getByRole('navigation', { name: 'Conversations' }).locator('header');
    await expect(ownName).toContainText('Eve Before');

    await rename(eve.page, 'Eve After');
    // Near the limit the field says how near (it takes no more past it).
    const settings = eve.page.getByRole('region', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('E'.repeat(51));
    await expect(settings.getByText('Saved.')).toHaveCount(0); // it was about the name before the edit
    await expect(settings.getByTestId('length-hint')).toHaveCount(0);
    await settings.getByLabel('Display name').fill('E'.repeat(70));
    await expect(settings.getByTestId('length-hint')).toHaveText('64/64');
    await eve.page.screenshot({ path: `test-results/screens/${test.info().project.name}-settings-name-hint.png` });
    await settings.getByLabel('Display name').fill('Eve After');
    await expect(settings.getByTestId('length-hint')).toHaveCount(0);

    // Fay's open chat and her list follow, without a reload.
    await expect(fay.page.getByRole('heading', { name: 'Eve After' })).toBeVisible();
    if (isPhone()) await fay.page.getByRole('button', { name: 'Back' }).click();
    await expect(
      fay.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Eve After/ }),
    ).toBeVisible();
    // And so does her other device, without a reload.
    await expect(ownName).toContainText('Eve After');
  } finally {
    for (const p of [eve, fay]) await p.page.context().close();
  }
});

test('a new display name reaches one’s other devices with no chats at all', async ({ browser }) => {
  const gus = await signUp(browser, server.url, 'Gus Before', deviceOf());
  const laptop = await signInNew(browser, server.url, `${gus.username}@example.test`);
  try {
    const ownName = laptop.getByRole('navigation', { name: 'Conversations' }).locator('header');
    await expect(ownName).toContainText('Gus Before');

    await rename(gus.page, 'Gus After');
    // No chat announces it: the account's own event does, without a reload.
    await expect(ownName).toContainText('Gus After');
  } finally {
    for (const p of [gus.page, laptop]) await p.context().close();
  }
});

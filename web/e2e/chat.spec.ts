import { expect, test } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { bubbles, createGroupInUi, openChatWith, openFromList, own, send, signUp, theirs, uniq } from './helpers.js';
import { restApi } from './xss-kit.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

const shot = (name: string) => `test-results/screens/${test.info().project.name}-${name}.png`;

test('two people chat in real time: ticks go to read, typing and presence show', async ({ browser }, info) => {
  const device = info.project.use;
  const alice = await signUp(browser, server.url, 'Alice Adams', device);
  const bob = await signUp(browser, server.url, 'Bob Brown', device);

  await openChatWith(alice, bob);
  await expect(alice.page.getByTestId('status-line')).toHaveText('online');
  await send(alice, 'Hi Bob! https://example.com/docs');

  // Bob sees the conversation appear live with an unread badge, and opens it.
  const item = bob.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Alice Adams/ });
  await expect(item.getByTestId('unread')).toHaveText('1');
  await expect(item.getByTestId('preview')).toHaveText('Hi Bob! https://example.com/docs');
  await bob.page.screenshot({ path: shot('list-unread') });
  await openFromList(bob, 'Alice Adams');
  await expect(bubbles(bob).last()).toHaveText('Hi Bob! https://example.com/docs');
  const link = bob.page.getByRole('link', { name: 'https://example.com/docs' });
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(link).toHaveAttribute('target', '_blank');

  // Alice's ticks reach "read" once Bob has the conversation open.
  await expect(alice.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'read');

  // Typing shows on the other side, then the reply arrives.
  await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hey Al');
  await expect(alice.page.getByTestId('status-line')).toHaveText('typing…');
  await bob.page.getByRole('textbox', { name: 'Message' }).fill('Hey Alice, all good?');
  await bob.page.getByRole('button', { name: 'Send' }).click();
  await expect(bubbles(alice).last()).toHaveText('Hey Alice, all good?');
  await expect(alice.page.getByTestId('status-line')).toHaveText('online');
  await expect(bob.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'read');
  await alice.page.screenshot({ path: shot('conversation') });

  // A reload keeps Alice signed in, with the conversation and its history.
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Bob Brown' })).toBeVisible();
  await expect(bubbles(alice)).toHaveText(['Hi Bob! https://example.com/docs', 'Hey Alice, all good?']);

  // Presence: Bob leaves, Alice sees "last seen".
  await bob.page.context().close();
  // (On a phone, beside the call buttons, without "today at".)
  await expect(alice.page.getByTestId('status-line')).toHaveText(
    info.project.name === 'phone' ? /^last seen \d{1,2}:\d\d/ : /^last seen today at \d{1,2}:\d\d/,
  );
  const line = alice.page.getByTestId('status-line');
  expect(await line.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await alice.page.context().close();
});

test('message text and names render as text, never as HTML', async ({ browser }, info) => {
  const device = info.project.use;
  const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const mallory = await signUp(browser, server.url, `<b onmouseover=alert(1)>Mallory</b>`, device);
  const victim = await signUp(browser, server.url, 'Victor Vance', device);
  let dialogs = 0;
  victim.page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await openChatWith(mallory, victim);
  await send(mallory, payload);
  await openFromList(victim, '<b onmouseover=alert(1)>Mallory</b>');
  await expect(bubbles(victim).last()).toHaveText(payload);
  await victim.page.getByRole('heading', { name: '<b onmouseover=alert(1)>Mallory</b>' }).hover();
  expect(await victim.page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
  expect(await victim.page.locator('main img, section img, section script').count()).toBe(0);
  expect(dialogs).toBe(0);
  await mallory.page.context().close();
  await victim.page.context().close();
});

test('a group of three talks, and each sees who said what', async ({ browser }, info) => {
  const device = info.project.use;
  const [ann, ben, cat] = [
    await signUp(browser, server.url, 'Ann Group', device),
    await signUp(browser, server.url, 'Ben Group', device),
    await signUp(browser, server.url, 'Cat Group', device),
  ];
  await createGroupInUi(ann, 'Weekend plans', [ben, cat]);
  await expect(ann.page.getByTestId('status-line')).toHaveText('3 members, 3 online');
  await send(ann, 'Hike on Saturday?');

  for (const p of [ben, cat]) await openFromList(p, 'Weekend plans');
  await expect(bubbles(ben).last()).toHaveText('Hike on Saturday?');
  await send(ben, 'Count me in');
  await send(cat, 'Me too');
  for (const p of [ann, ben, cat]) {
    await expect(bubbles(p)).toHaveText(['Hike on Saturday?', 'Count me in', 'Me too']);
  }
  await expect(ann.page.getByText('Cat Group', { exact: true }).last()).toBeVisible();
  await expect(ann.page.getByTestId('ticks').first()).toHaveAttribute('data-state', 'read');
  await ann.page.screenshot({ path: shot('group') });
  for (const p of [ann, ben, cat]) await p.page.context().close();
});

test('a double click on "Create group" makes one group, even on a slow connection', async ({ browser }, info) => {
  const device = info.project.use;
  const hal = await signUp(browser, server.url, 'Hal Host', device);
  const ivy = await signUp(browser, server.url, 'Ivy Guest', device);
  // The server's answer takes a while: the second click lands while the first is under way.
  let posts = 0;
  await hal.page.route('**/api/conversations', async (route) => {
    if (route.request().method() === 'POST') {
      posts++;
      await new Promise((r) => setTimeout(r, 700));
    }
    await route.continue();
  });
  await hal.page.getByRole('button', { name: 'New group' }).click();
  const dialog = hal.page.getByRole('dialog', { name: 'New group' });
  // Near the name's limit the field says how near (it takes no more past it).
  await dialog.getByLabel('Group name').fill('B'.repeat(79));
  await expect(dialog.getByTestId('length-hint')).toHaveCount(0);
  await dialog.getByLabel('Group name').fill('B'.repeat(104));
  await expect(dialog.getByTestId('length-hint')).toHaveText('100/100');
  await dialog.getByLabel('Group name').fill('Book club');
  await expect(dialog.getByTestId('length-hint')).toHaveCount(0);
  await dialog.getByRole('searchbox', { name: 'Search people' }).fill(ivy.username);
  await dialog.getByRole('list', { name: 'People' }).getByRole('button', { name: ivy.name }).click();
  await dialog.getByRole('button', { name: 'Create group' }).dblclick();
  await expect(hal.page.getByRole('heading', { name: 'Book club' })).toBeVisible();
  // One group: Ivy's list holds it once (a second would show beside it), and one request went.
  await expect(ivy.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toHaveCount(1);
  expect(posts).toBe(1);
  for (const p of [hal, ivy]) await p.page.context().close();
});

test('starting a chat that the server cannot open says why, and the next try works', async ({ browser }, info) => {
  const device = info.project.use;
  const jo = await signUp(browser, server.url, 'Jo Starter', device);
  const kim = await signUp(browser, server.url, 'Kim Target', device);
  // The first attempt meets a database outage.
  let failures = 1;
  await jo.page.route('**/api/conversations', async (route) => {
    if (route.request().method() === 'POST' && failures-- > 0) {
      await route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'unavailable', message: 'The database is unavailable; try again' } }),
      });
    } else await route.continue();
  });
  await jo.page.getByRole('searchbox', { name: 'Search people' }).fill(kim.username);
  await jo.page
    .getByRole('list', { name: 'People' })
    .getByRole('button', { name: /Kim Target/ })
    .click();
  await expect(jo.page.getByRole('alert')).toHaveText('The database is unavailable; try again');
  await openChatWith(jo, kim);
  await expect(jo.page.getByRole('alert')).toHaveCount(0);
  for (const p of [jo, kim]) await p.page.context().close();
});

test('messages sent while a client was cut off appear after it reconnects', async ({ browser }, info) => {
  const device = info.project.use;
  const dora = await signUp(browser, server.url, 'Dora Offline', device);
  const eli = await signUp(browser, server.url, 'Eli Online', device);
  await openChatWith(dora, eli);
  await send(dora, 'before the outage');
  await openFromList(eli, 'Dora Offline');
  await expect(bubbles(eli).last()).toHaveText('before the outage');

  // The server goes down: Eli's client shows it is reconnecting, and Eli writes anyway.
  await server.stop();
  await expect(eli.page.getByTestId('connection')).toHaveAttribute('data-state', /reconnecting|connecting/);
  await expect(eli.page.getByRole('status')).toContainText(/Reconnecting|Connecting/);
  await expect(eli.page.getByTestId('status-line')).toHaveText('connecting…');
  await eli.page.screenshot({ path: shot('reconnecting') });
  await send(eli, 'written while offline');
  await expect(eli.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'sending');

  await server.start();
  await expect(eli.page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 30_000 });
  await expect(dora.page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 30_000 });
  // Eli's queued message went out exactly once, and Dora sees it.
  await expect(bubbles(dora)).toHaveText(['before the outage', 'written while offline'], { timeout: 20_000 });
  await expect(bubbles(eli)).toHaveText(['before the outage', 'written while offline']);
  await expect(eli.page.getByTestId('ticks').last()).not.toHaveAttribute('data-state', 'sending');
  await dora.page.context().close();
  await eli.page.context().close();
});

test('messages that came while a person was away get two ticks once their device is back, blue once read', async ({
  browser,
}, info) => {
  const device = info.project.use;
  const fay = await signUp(browser, server.url, 'Fay Sender', device);
  const gus = await signUp(browser, server.url, 'Gus Away', device);
  await openChatWith(gus, fay);
  // Gus closes the app (his session stays in the browser), and Fay writes to him meanwhile.
  const away = gus.page.context();
  await gus.page.close();
  await openChatWith(fay, gus);
  await send(fay, 'are you there?');
  await expect(fay.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'sent');
  // Gus opens the app again but not the chat: the message is on his device, not read.
  const back = await away.newPage();
  await back.goto(server.url);
  await expect(back.getByTestId('connection')).toHaveAttribute('data-state', 'online');
  await expect(fay.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'delivered');
  await back
    .getByRole('list', { name: 'Chats' })
    .getByRole('button', { name: /Fay Sender/ })
    .click();
  await expect(fay.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'read');
  await fay.page.context().close();
  await away.close();
});

test('a reply written offline marks what came meanwhile as read: its sender sees blue ticks without a reload', async ({
  browser,
}, info) => {
  const device = info.project.use;
  const hana = await signUp(browser, server.url, 'Hana Asks', device);
  const ivo = await signUp(browser, server.url, 'Ivo Offline', device);
  await openChatWith(ivo, hana);
  await openChatWith(hana, ivo);
  // Ivo loses the network with the chat open and answers anyway; Hana writes meanwhile.
  await ivo.page.context().setOffline(true);
  await expect(ivo.page.getByTestId('connection')).not.toHaveAttribute('data-state', 'online');
  await send(ivo, 'on my way');
  await send(hana, 'where are you?');
  await expect(hana.page.getByTestId('ticks').last()).toHaveAttribute('data-state', 'sent');
  await ivo.page.context().setOffline(false);
  // His reply is stored after her question: the server takes him as having read it, and so does her screen.
  await expect(theirs(hana, 'on my way')).toBeVisible({ timeout: 20_000 });
  await expect(own(hana, 'where are you?').getByTestId('ticks')).toHaveAttribute('data-state', 'read');
  for (const p of [hana, ivo]) await p.page.context().close();
});

test('a message whose answer was lost shows once after a reload, even while its new answer is on its way', async ({
  browser,
}, info) => {
  const device = info.project.use;
  const jo = await signUp(browser, server.url, 'Jo Reloads', device);
  const kim = await signUp(browser, server.url, 'Kim Waits', device);
  await openChatWith(jo, kim);
  await openChatWith(kim, jo);
  // Answers stop reaching Jo's page (the ack, and the message's copy for her other devices):
  // the message is stored, the app never hears it was.
  let holdAcks = true;
  await jo.page.context().routeWebSocket(/\/api\/ws/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      if (holdAcks && typeof m === 'string' && (m.includes('"message_ack"') || m.includes('on my way'))) return;
      ws.send(m);
    });
  });
  // After a reload the chat is open again where the app keeps it open (phones), or is opened.
  const reload = async () => {
    await jo.page.reload();
    await expect(jo.page.getByTestId('connection')).toHaveAttribute('data-state', 'online');
    if (!(await jo.page.getByRole('heading', { name: 'Kim Waits' }).isVisible())) await openFromList(jo, 'Kim Waits');
  };
  await reload();
  await send(jo, 'on my way');
  await expect(theirs(kim, 'on my way')).toBeVisible();
  await expect(own(jo, 'on my way').getByTestId('ticks')).toHaveAttribute('data-state', 'sending');
  // Jo reloads: the page of history holds the message, and the resend's answer is still held.
  await reload();
  await expect(own(jo, 'on my way').getByTestId('ticks')).not.toHaveAttribute('data-state', 'sending');
  await expect(own(jo, 'on my way')).toHaveCount(1);
  holdAcks = false;
  await jo.page.waitForTimeout(500);
  await expect(own(jo, 'on my way')).toHaveCount(1);
  for (const p of [jo, kim]) await p.page.context().close();
});

test('signing out returns to the sign-in screen, stays signed out after a reload and leaves no draft behind', async ({
  browser,
}, info) => {
  const fay = await signUp(browser, server.url, 'Fay Leaving', info.project.use);
  const gus = await signUp(browser, server.url, 'Gus Staying', info.project.use);
  await openChatWith(fay, gus);
  await fay.page.getByRole('textbox', { name: 'Message' }).pressSequentially('not for the next person');
  const savedDrafts = () => fay.page.evaluate(() => (globalThis as any).localStorage.getItem('chatify.drafts'));
  await expect.poll(savedDrafts).toContain('not for the next person');
  if (info.project.name === 'phone') await fay.page.getByRole('button', { name: 'Back' }).click();
  await fay.page.getByRole('button', { name: 'Menu' }).click();
  await fay.page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(fay.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await fay.page.reload();
  await expect(fay.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await fay.page.getByLabel('Email').fill(fay.username);
  await fay.page.getByLabel('Password').fill('correct horse battery');
  expect(await savedDrafts()).toBeNull();
  await fay.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(fay.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  await openFromList(fay, 'Gus Staying');
  await expect(fay.page.getByRole('textbox', { name: 'Message' })).toHaveValue('');
  await fay.page.context().close();
  await gus.page.context().close();
});

test('the chat list holds still under the mouse and re-sorts when the mouse leaves it', async ({ browser }, info) => {
  test.skip(info.project.name === 'phone', 'a touch screen has no pointer resting on the list: it re-sorts at once');
  const reader = await signUp(browser, server.url, 'Hana Hover', info.project.use);
  const rest = restApi(server.url);
  const readerId = await reader.page.evaluate(
    () => JSON.parse((globalThis as any).localStorage.getItem('chatify.session')).user.id as string,
  );
  const [one, two, three, four] = [
    await rest.register(uniq('hovone')),
    await rest.register(uniq('hovtwo')),
    await rest.register(uniq('hovthree')),
    await rest.register(uniq('hovfour')),
  ];
  const chatOf = new Map<string, string>();
  const startChat = async (u: typeof one) => {
    const c = await rest.api<{ id: string }>('POST', '/api/conversations', u.token, {
      type: 'one_to_one',
      member_ids: [readerId],
    });
    chatOf.set(u.username, c.id);
    await rest.post(u, c.id, `hello from ${u.username}`);
  };
  for (const u of [one, two, three]) await startChat(u);
  const rows = reader.page.getByRole('list', { name: 'Chats' }).getByRole('button');
  const order = async () =>
    (await rows.allTextContents()).map((t) => [one, two, three, four].find((u) => t.includes(u.username))!.username);
  await expect(rows).toHaveCount(3);
  await expect.poll(order).toEqual([three.username, two.username, one.username]);

  // The mouse rests on the list; the bottom chat gets a message: its row updates in place.
  await rows.first().hover();
  await rest.post(one, chatOf.get(one.username)!, 'news from the bottom');
  await expect(rows.nth(2)).toContainText('news from the bottom');
  expect(await order()).toEqual([three.username, two.username, one.username]);
  // A new chat joins below the held rows, not above them.
  await startChat(four);
  await expect(rows).toHaveCount(4);
  expect(await order()).toEqual([three.username, two.username, one.username, four.username]);
  // A click lands on the chat that was under the pointer, and moves nothing.
  await rows.nth(1).click();
  await expect(reader.page.getByRole('heading', { name: two.username })).toBeVisible();
  expect(await order()).toEqual([three.username, two.username, one.username, four.username]);

  // Writing in it with the mouse still there (Enter, not the button): the list sorts once, the
  // chat written in on top.
  const box = reader.page.getByRole('textbox', { name: 'Message' });
  await box.fill('on my way');
  await box.press('Enter');
  await expect.poll(order).toEqual([two.username, four.username, one.username, three.username]);

  // It holds again; the mouse leaves: the list takes its newest-first order.
  await rest.post(three, chatOf.get(three.username)!, 'three again');
  await expect(rows.nth(3)).toContainText('three again');
  expect(await order()).toEqual([two.username, four.username, one.username, three.username]);
  await box.hover();
  await expect.poll(order).toEqual([three.username, two.username, four.username, one.username]);
  await reader.page.context().close();
});

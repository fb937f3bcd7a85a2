import { expect, test } from '@playwright/test';
import pg from 'pg';
import { startAppServer } from './app-server.js';
import { actions, bubbles, createGroupInUi, openFromList, own, send, signUp } from './helpers.js';
import { myId, restOf } from './rest.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

const { apiUser, directChat, post } = restOf(() => server.url);

test('a long conversation opens at the latest message and loads older pages when scrolled up', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Rita Reader', info.project.use);
  const writer = await apiUser('Walt Writer');
  const conv = await directChat(writer.token, await myId(reader.page));
  for (let i = 1; i <= 150; i++) await post(writer.token, conv.id, `line ${i}`);

  const item = reader.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Walt Writer/ });
  await expect(item.getByTestId('unread')).toHaveText('99+');
  await expect(reader.page).toHaveTitle('(1) Chatify'); // the tab: one chat with unread messages
  await openFromList(reader, 'Walt Writer');
  await expect(bubbles(reader).last()).toHaveText('line 150');
  // Only part of it is in the page (virtualized), and the first message is not loaded yet.
  expect(await bubbles(reader).count()).toBeLessThan(60);
  await expect(reader.page.getByText('line 1', { exact: true })).toHaveCount(0);

  // Scroll to the top until the very first message is there.
  const scrollToTop = async () => {
    for (let i = 0; i < 30 && (await reader.page.getByText('line 1', { exact: true }).count()) === 0; i++) {
      await reader.page.getByTestId('message-row').first().hover();
      await reader.page.mouse.wheel(0, -5000);
      await reader.page.waitForTimeout(150);
    }
  };
  await scrollToTop();
  await expect(reader.page.getByText('line 1', { exact: true })).toBeVisible();
  await expect(item.getByTestId('unread')).toHaveCount(0);
  await expect(reader.page).toHaveTitle('Chatify');

  // New messages while up there, taller than the lines before: "Jump to latest" goes all the way.
  for (let i = 1; i <= 3; i++) {
    const news = `news ${i}: ${'a longer message that takes a few lines on a phone and two on a desktop, '.repeat(3)}`;
    await post(writer.token, conv.id, news);
  }
  const jump = reader.page.getByRole('button', { name: /Jump to latest/ });
  await expect(jump).toHaveAccessibleName('Jump to latest, 3 new');
  await jump.click();
  await expect(bubbles(reader).last()).toContainText('news 3:');
  await expect(bubbles(reader).last()).toBeInViewport({ ratio: 1 });
  await expect(jump).toHaveCount(0);
  await expect(item.getByTestId('unread')).toHaveCount(0);

  // Writing from up there brings the chat to the bottom, to what was just written.
  await scrollToTop();
  await expect(reader.page.getByRole('button', { name: /Jump to latest/ })).toBeVisible();
  await send(reader, 'back at the bottom');
  await expect(own(reader, 'back at the bottom')).toBeInViewport();
  await expect(reader.page.getByRole('button', { name: /Jump to latest/ })).toHaveCount(0);

  // The connection banner takes its strip at the top: the chat stays at its newest message, whole.
  await expect(own(reader, 'back at the bottom')).toBeInViewport({ ratio: 1 });
  await reader.page.context().setOffline(true);
  await expect(reader.page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
  await expect(own(reader, 'back at the bottom')).toBeInViewport({ ratio: 1 });
  await reader.page.context().setOffline(false);
  await reader.page.context().close();
});

test('Enter sends on desktop (Shift+Enter breaks the line), the button on phones; drafts survive switching chats', async ({
  browser,
}, info) => {
  // On a touch screen Enter adds a line, as on phone keyboards; the button sends.
  const phone = info.project.name === 'phone';
  const device = info.project.use;
  const kim = await signUp(browser, server.url, 'Kim Keys', device);
  const lee = await signUp(browser, server.url, 'Lee Keys', device);
  const ned = await signUp(browser, server.url, 'Ned Keys', device);
  const historyLength = () => kim.page.evaluate(() => (globalThis as any).history.length as number);
  for (const other of [lee, ned]) {
    await kim.page.getByRole('searchbox', { name: 'Search people' }).fill(other.username);
    await kim.page.getByRole('list', { name: 'People' }).getByRole('button', { name: other.name }).click();
    await expect(kim.page.getByRole('heading', { name: other.name })).toBeVisible();
    if (!phone) continue;
    const opened = await historyLength();
    // The back arrow steps back through history (it adds no entry): the browser's Back then goes
    // on from the list, not into the chat just closed; Forward opens it again.
    await kim.page.getByRole('button', { name: 'Back' }).click();
    await expect(kim.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
    await expect.poll(() => kim.page.evaluate(() => (globalThis as any).location.pathname as string)).toBe('/');
    expect(await historyLength()).toBe(opened);
    await kim.page.goForward();
    await expect(kim.page.getByRole('heading', { name: other.name })).toBeVisible();
    await kim.page.getByRole('button', { name: 'Back' }).click();
    await expect(kim.page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  }
  await openFromList(kim, 'Lee Keys');
  const box = kim.page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('first line');
  await box.press(phone ? 'Enter' : 'Shift+Enter');
  await box.pressSequentially('second line');
  if (phone) await kim.page.getByRole('button', { name: 'Send' }).click();
  else await box.press('Enter');
  await expect(bubbles(kim).last()).toHaveText('first line\nsecond line');
  await expect(box).toHaveValue('');
  await expect(kim.page.getByRole('button', { name: 'Send' })).toBeDisabled();

  await box.pressSequentially('unfinished thought');
  // The chat list marks the draft, but not for the chat that is open (its composer shows it).
  const leeRow = kim.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Lee Keys/ });
  const draftShown = async () => {
    await expect(leeRow.getByTestId('preview')).toHaveText('Draft: unfinished thought');
    await expect(leeRow).toHaveAccessibleName('Lee Keys, draft');
  };
  if (phone) {
    await kim.page.getByRole('button', { name: 'Back' }).click();
    await draftShown();
    await kim.page.screenshot({ path: `test-results/screens/${info.project.name}-draft-in-list.png` });
  } else {
    await expect(leeRow.getByTestId('preview')).toHaveText('You: first line second line');
  }
  await openFromList(kim, 'Ned Keys');
  await expect(box).toHaveValue('');
  if (!phone) {
    await draftShown();
    await kim.page.screenshot({ path: `test-results/screens/${info.project.name}-draft-in-list.png` });
  }
  // Kept across a reload.
  await kim.page.reload();
  if (phone) await kim.page.getByRole('button', { name: 'Back' }).click();
  await draftShown();
  await openFromList(kim, 'Lee Keys');
  await expect(box).toHaveValue('unfinished thought');
  // Sent, it is a draft no more.
  if (phone) await kim.page.getByRole('button', { name: 'Send' }).click();
  else await box.press('Enter');
  await expect(box).toHaveValue('');
  if (phone) await kim.page.getByRole('button', { name: 'Back' }).click();
  else await openFromList(kim, 'Ned Keys');
  await expect(leeRow.getByTestId('preview')).toHaveText('You: unfinished thought');

  // A second tab: its draft shows in this tab's list, and typing here keeps it.
  const tab = { ...kim, page: await kim.page.context().newPage() };
  await tab.page.goto(server.url);
  await openFromList(tab, 'Lee Keys');
  await tab.page.getByRole('textbox', { name: 'Message' }).pressSequentially('from the other tab');
  await expect(leeRow.getByTestId('preview')).toHaveText('Draft: from the other tab');
  if (phone) await openFromList(kim, 'Ned Keys');
  await box.pressSequentially('and one here');
  const saved = () =>
    kim.page.evaluate(() =>
      Object.values(JSON.parse((globalThis as any).localStorage.getItem('chatify.drafts')) as object).sort(),
    );
  await expect.poll(saved).toEqual(['and one here', 'from the other tab']);
  await tab.page.close();

  // An edit in progress is not a draft: it stays with its chat while another chat is open,
  // and the draft of that other chat is untouched.
  await box.fill('');
  await send(kim, 'to Ned');
  await (await actions(kim, own(kim, 'to Ned'))).getByRole('menuitem', { name: 'Edit' }).click();
  await expect(box).toHaveValue('to Ned');
  await box.pressSequentially(', edited');
  if (phone) await kim.page.getByRole('button', { name: 'Back' }).click();
  await openFromList(kim, 'Lee Keys');
  await expect(box).toHaveValue('from the other tab');
  await expect(kim.page.getByTestId('editing-bar')).toHaveCount(0);
  if (phone) await kim.page.getByRole('button', { name: 'Back' }).click();
  await openFromList(kim, 'Ned Keys');
  await expect(kim.page.getByTestId('editing-bar')).toContainText('Editing message');
  await expect(box).toHaveValue('to Ned, edited');
  await expect.poll(saved).toEqual(['from the other tab']);
  for (const p of [kim, lee, ned]) await p.page.context().close();
});

test('a chat that could not load while offline loads by itself once the connection is back', async ({
  browser,
}, info) => {
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Offline', info.project.use),
    await signUp(browser, server.url, 'Ben Offline', info.project.use),
  ];
  await createGroupInUi(ben, 'Night shift', [ada]);
  await send(ben, 'Who is on tonight?');
  const item = ada.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Night shift/ });
  await expect(item).toContainText('Who is on tonight?');

  // Never opened on this device, opened offline: its messages cannot load.
  await ada.page.context().setOffline(true);
  await expect(ada.page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
  await item.click();
  // Offline is said by the banner; the chat says, calmly, that it will load (no red alert).
  const failed = ada.page.getByRole('status').filter({ hasText: 'Messages will load when you are back online' });
  await expect(failed).toBeVisible();
  await expect(ada.page.getByRole('alert')).toHaveCount(0);
  await expect(ada.page.getByTestId('status-line')).toHaveText('waiting for network');
  await ada.page.screenshot({ path: `test-results/screens/${info.project.name}-chat-load-failed.png` });

  // Back online: no Retry pressed, the messages come and the error goes.
  await ada.page.context().setOffline(false);
  await expect(ada.page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(bubbles(ada)).toHaveText(['Who is on tonight?']);
  await expect(failed).toHaveCount(0);
  for (const p of [ada, ben]) await p.page.context().close();
});

test('a conversation of 10,000 messages opens at the latest and keeps only a small window in the page', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Tess Tenk', info.project.use);
  const writer = await apiUser('Will Tenk');
  const readerId = await myId(reader.page);
  const conv = await directChat(writer.token, readerId);
  // Seed in one statement, as a long-lived chat would have accumulated them.
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
       SELECT $1::uuid, g, CASE WHEN g % 3 = 0 THEN $3::uuid ELSE $2::uuid END, 'seed-' || $1::text || '-' || g,
              'message number ' || g, now() - make_interval(mins => 10000 - g)
         FROM generate_series(1, 10000) g`,
      [conv.id, writer.id, readerId],
    );
    await client.query('UPDATE conversations SET last_seq = 10000, last_message_at = now() WHERE id = $1', [conv.id]);
  } finally {
    await client.end();
  }
  await reader.page.reload();
  await openFromList(reader, 'Will Tenk');
  await expect(bubbles(reader).last()).toHaveText('message number 10000');
  expect(await reader.page.getByTestId('message-row').count()).toBeLessThan(80);
  // A few pages up, still a small window, older messages in view.
  for (let i = 0; i < 8; i++) {
    await reader.page.getByTestId('message-row').first().hover();
    await reader.page.mouse.wheel(0, -4000);
    await reader.page.waitForTimeout(150);
  }
  await expect(bubbles(reader).first()).not.toHaveText('message number 9951');
  expect(await reader.page.getByTestId('message-row').count()).toBeLessThan(120);
  await reader.page.context().close();
});

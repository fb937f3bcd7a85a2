import { expect, test } from '@playwright/test';
import pg from 'pg';
import { startAppServer } from './app-server.js';
import { actions, bubbles, chatMenu, createGroupInUi, openFromList, own, send, signUp } from './helpers.js';
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

test('a group owner adds and removes members, renames the group and makes an admin; a member leaves', async ({
  browser,
}, info) => {
  const device = info.project.use;
  const [olga, pia, quin] = [
    await signUp(browser, server.url, 'Olga Owner', device),
    await signUp(browser, server.url, 'Pia Member', device),
    await signUp(browser, server.url, 'Quin Later', device),
  ];
  await createGroupInUi(olga, 'Book club', [pia]);

  // The chat's menu by keyboard: arrows move (and wrap), Escape closes it back to its button.
  const options = olga.page.getByRole('button', { name: 'Chat options' });
  await options.focus();
  await olga.page.keyboard.press('ArrowDown');
  const item = (name: string) => olga.page.getByRole('menuitem', { name });
  await expect(item('Search in chat')).toBeFocused();
  await olga.page.keyboard.press('ArrowDown');
  await expect(item('Members')).toBeFocused();
  await olga.page.keyboard.press('End');
  await expect(item('Leave group')).toBeFocused();
  await olga.page.keyboard.press('ArrowDown');
  await expect(item('Search in chat')).toBeFocused();
  await olga.page.keyboard.press('Escape');
  await expect(olga.page.getByRole('menu')).toHaveCount(0);
  await expect(options).toBeFocused();

  await chatMenu(olga, 'Members');
  const members = olga.page.getByRole('dialog', { name: 'Members of Book club' });
  await members.getByRole('searchbox', { name: 'Search people' }).fill(quin.username);
  await members.getByRole('list', { name: 'People' }).getByRole('button', { name: 'Quin Later' }).click();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  await expect(quin.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toBeVisible();

  // Removing asks first, in the member's row; the focus is on Cancel, and cancelling keeps Quin.
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  const asking = members.getByRole('group', { name: 'Remove Quin Later from the group?' });
  await expect(asking.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await olga.page.screenshot({ path: `test-results/screens/${info.project.name}-remove-member-asks.png` });
  await olga.page.keyboard.press('Enter');
  await expect(asking).toHaveCount(0);
  await expect(members.getByRole('button', { name: 'Remove Quin Later' })).toBeFocused();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  // Esc answers the question the same way, and the dialog stays open.
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  await expect(asking.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await olga.page.keyboard.press('Escape');
  await expect(asking).toHaveCount(0);
  await expect(members).toBeVisible();
  await expect(members.getByRole('button', { name: 'Remove Quin Later' })).toBeFocused();
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  await asking.getByRole('button', { name: 'Yes, remove Quin Later' }).click();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await expect(quin.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toHaveCount(
    0,
  );
  // Quin is told, rather than see the group vanish.
  await expect(quin.page.getByRole('alert')).toContainText('You are no longer a member of Book club');
  await quin.page.screenshot({ path: `test-results/screens/${info.project.name}-removed-from-group.png` });

  // Renamed: the dialog, the header and the other member's list follow.
  const name = members.getByRole('textbox', { name: 'Group name' });
  await expect(members.getByRole('button', { name: 'Save' })).toBeDisabled();
  await name.fill('Reading circle');
  await members.getByRole('button', { name: 'Save' }).click();
  const renamed = olga.page.getByRole('dialog', { name: 'Members of Reading circle' });
  await expect(renamed).toBeVisible();
  await expect(
    pia.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ }),
  ).toBeVisible();

  // A plain member sees no management; made an admin, Pia can rename too.
  await openFromList(pia, 'Reading circle');
  await chatMenu(pia, 'Members');
  const piaMembers = pia.page.getByRole('dialog', { name: 'Members of Reading circle' });
  await expect(piaMembers.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await expect(piaMembers.getByRole('textbox', { name: 'Group name' })).toHaveCount(0);
  await expect(piaMembers.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  await renamed.getByRole('button', { name: 'Make admin: Pia Member' }).click();
  await expect(renamed.getByRole('button', { name: 'Dismiss as admin: Pia Member' })).toBeVisible();
  await expect(piaMembers.getByRole('textbox', { name: 'Group name' })).toBeVisible();
  await expect(piaMembers.getByRole('listitem').filter({ hasText: 'Pia Member' })).toContainText('admin');
  // An admin cannot remove the owner or change roles.
  await expect(piaMembers.getByRole('button', { name: 'Remove Olga Owner' })).toHaveCount(0);
  await expect(piaMembers.getByRole('button', { name: /admin:/ })).toHaveCount(0);
  await olga.page.screenshot({ path: `test-results/screens/${info.project.name}-group-members.png` });
  await renamed.getByRole('button', { name: 'Close' }).click();

  // Leaving asks first; cancelling keeps the group. (Pia says goodbye first.)
  await piaMembers.getByRole('button', { name: 'Close' }).click();
  await send(pia, 'bye for now');
  await expect(olga.page.getByTestId('sender-name').last()).toHaveText('Pia Member');
  await chatMenu(pia, 'Members');
  await piaMembers.getByRole('button', { name: 'Leave group' }).click();
  const confirm = pia.page.getByRole('dialog', { name: 'Leave Reading circle?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await chatMenu(pia, 'Leave group');
  await confirm.getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(
    pia.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ }),
  ).toHaveCount(0);
  // Pia left by herself: no news for her (not even once the server's word of the change has
  // come and gone: Olga's list shows Pia gone after it).
  await chatMenu(olga, 'Members');
  await expect(
    olga.page
      .getByRole('dialog', { name: 'Members of Reading circle' })
      .getByRole('list', { name: 'Members' })
      .getByRole('listitem'),
  ).toHaveCount(1);
  await pia.page.waitForTimeout(500);
  await expect(pia.page.getByRole('alert')).toHaveCount(0);
  // Her message keeps her name, in the thread and the list, after she left (and after a reload).
  await olga.page
    .getByRole('dialog', { name: 'Members of Reading circle' })
    .getByRole('button', { name: 'Close' })
    .click();
  const lastSender = () => olga.page.getByTestId('sender-name').last();
  const listItem = () => olga.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ });
  await expect(lastSender()).toHaveText('Pia Member');
  if (info.project.name === 'phone') await olga.page.getByRole('button', { name: 'Back' }).click();
  await expect(listItem()).toContainText('Pia Member: bye for now');
  await olga.page.reload();
  await expect(listItem()).toContainText('Pia Member: bye for now');
  await openFromList(olga, 'Reading circle');
  await expect(lastSender()).toHaveText('Pia Member');
  for (const p of [olga, pia, quin]) await p.page.context().close();
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

import { expect, test, type Page } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { bubbles, chatMenu, signUp } from './helpers.js';
import { myId, restOf } from './rest.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

const shot = (name: string) => `test-results/screens/${test.info().project.name}-search-${name}.png`;
/** A word no other message has: letters only, so it is one search term. */
const word = (prefix: string) =>
  prefix + Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');

const { apiUser, directChat, post } = restOf(() => server.url);

const searchBox = (page: Page) => page.getByRole('searchbox', { name: 'Search people, groups and messages' });
const messageResults = (page: Page) => page.getByRole('list', { name: 'Messages' }).getByTestId('message-result');

test('a message found by search opens in place, highlighted; jump to latest and live messages still work', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Nora Finder', info.project.use);
  const writer = await apiUser('Otto Sender');
  const conv = await directChat(writer.token, await myId(reader.page));
  const secret = word('marzipan');
  for (let i = 1; i <= 300; i++) {
    await post(writer.token, conv.id, i === 5 ? `Remember the ${secret} recipe for Saturday` : `line ${i}`);
  }
  await expect(
    reader.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Otto Sender/ }),
  ).toBeVisible();

  await searchBox(reader.page).fill(secret.slice(0, 10));
  await expect(messageResults(reader.page)).toHaveCount(1);
  const result = messageResults(reader.page).first();
  await expect(result).toContainText('Otto Sender');
  await expect(result.locator('mark')).toHaveText(new RegExp(`^${secret.slice(0, 10)}`));
  await reader.page.screenshot({ path: shot('results') });

  // Keyboard: down to the first result, Enter opens it.
  await searchBox(reader.page).press('ArrowDown');
  await reader.page.keyboard.press('ArrowDown');
  await expect(result).toBeFocused();
  await reader.page.keyboard.press('Enter');
  await expect(reader.page.getByRole('heading', { name: 'Otto Sender' })).toBeVisible();
  const target = bubbles(reader).filter({ hasText: secret });
  await expect(target).toBeInViewport();
  await expect(reader.page.locator('[data-highlighted]')).toContainText(secret);
  await reader.page.waitForTimeout(300);
  await reader.page.screenshot({ path: shot('jumped') });
  // The glow fades.
  await expect(reader.page.locator('[data-highlighted]')).toHaveCount(0, { timeout: 5000 });

  // Older pages still load above the window.
  for (let i = 0; i < 10 && (await reader.page.getByText('line 1', { exact: true }).count()) === 0; i++) {
    await reader.page.getByTestId('message-row').first().hover();
    await reader.page.mouse.wheel(0, -3000);
    await reader.page.waitForTimeout(150);
  }
  await expect(reader.page.getByText('line 1', { exact: true })).toBeVisible();

  // Jump to latest brings back the newest message; new ones keep arriving live.
  await reader.page.getByRole('button', { name: /Jump to latest/ }).click();
  await expect(bubbles(reader).last()).toHaveText('line 300');
  await expect(bubbles(reader).last()).toBeInViewport();
  await post(writer.token, conv.id, 'fresh after the jump');
  await expect(bubbles(reader).last()).toHaveText('fresh after the jump');
  await expect(bubbles(reader).last()).toBeInViewport();
  await expect(reader.page.getByRole('button', { name: /Jump to latest/ })).toHaveCount(0);
  await reader.page.context().close();
});

test('a group is found by its name, whatever its case and accents, and opens; groups one is not in are not', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Rae Reader', info.project.use);
  const [owner, other] = [await apiUser('Oona Owner'), await apiUser('Otto Other')];
  const tag = word('hik');
  const group = async (token: string, title: string, memberIds: string[]) => {
    const res = await fetch(`${server.url}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: 'group', title, member_ids: memberIds }),
    });
    expect(res.status).toBe(201);
  };
  await group(owner.token, `Café ${tag} club`, [await myId(reader.page), other.id]);
  await group(other.token, `Café ${tag} secret`, [owner.id]);
  const row = reader.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /club/ });
  await expect(row).toBeVisible();

  await searchBox(reader.page).fill(`CAFE ${tag.toUpperCase()}`);
  const groups = reader.page.getByRole('list', { name: 'Groups' }).getByRole('button');
  await expect(groups).toHaveCount(1);
  await expect(groups).toContainText(`Café ${tag} club`);
  await expect(groups).toContainText('3 members');
  await reader.page.screenshot({ path: shot('group-by-name') });
  await groups.click();
  await expect(reader.page.getByRole('heading', { name: `Café ${tag} club` })).toBeVisible();
  if (info.project.name === 'phone') await reader.page.getByRole('button', { name: 'Back' }).click();
  await expect(searchBox(reader.page)).toHaveValue('');
  await reader.page.context().close();
});

test('search finds nothing in other people’s conversations, and hostile queries render as text', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Pat Private', info.project.use);
  const friend = await apiUser('Quinn Friend');
  const [carl, dana] = [await apiUser('Carl Other'), await apiUser('Dana Other')];
  const theirs = await directChat(carl.token, dana.id);
  const hidden = word('secretive');
  await post(carl.token, theirs.id, `only for Dana: ${hidden}`);
  const ours = await directChat(friend.token, await myId(reader.page));
  await post(friend.token, ours.id, 'try <script>window.pwned=1</script> and <b>bold</b> markup please');
  await expect(
    reader.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Quinn Friend/ }),
  ).toBeVisible();

  await searchBox(reader.page).fill(hidden);
  await expect(reader.page.getByText('No messages match')).toBeVisible();
  await expect(messageResults(reader.page)).toHaveCount(0);

  // A lone quote is too short for message search: a hint, no error.
  const results = reader.page.getByRole('region', { name: 'Search results' });
  await searchBox(reader.page).fill('"');
  await expect(results.getByText('Type at least 2 characters')).toBeVisible();
  for (const q of ['""', '"unclosed -', '<script>', '<b>markup']) {
    await searchBox(reader.page).fill(q);
    await expect(results.getByRole('list', { name: 'Messages' })).toBeVisible();
    await expect(results.getByRole('list', { name: 'Messages' })).toHaveAttribute('aria-busy', 'false');
    await expect(results.getByRole('alert')).toHaveCount(0);
  }
  // The message with markup in it is found and shown as plain text, the hit highlighted.
  await expect(messageResults(reader.page)).toHaveCount(1);
  // (The server's snippet leaves tag-like text out; whatever it sends is shown as text.)
  await expect(messageResults(reader.page).first()).toContainText('markup please');
  await expect(messageResults(reader.page).first().locator('mark', { hasText: 'markup' })).toHaveCount(1);
  expect(await reader.page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
  await expect(reader.page.locator('b', { hasText: 'bold' })).toHaveCount(0);
  await expect(reader.page.locator('body script')).toHaveCount(0);

  // Escape clears the search and brings back the chat list.
  await searchBox(reader.page).press('Escape');
  await expect(searchBox(reader.page)).toHaveValue('');
  await expect(reader.page.getByRole('list', { name: 'Chats' })).toBeVisible();
  for (const p of [reader]) await p.page.context().close();
});

test('search in a chat finds that chat’s messages only, newest first, and shows the one picked', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Rita Inchat', info.project.use);
  const [writer, other] = [await apiUser('Sam Inchat'), await apiUser('Tom Elsewhere')];
  const me = await myId(reader.page);
  const conv = await directChat(writer.token, me);
  const elsewhere = await directChat(other.token, me);
  const shared = word('quince');
  const onlyThere = word('lychee');
  for (let i = 1; i <= 150; i++) {
    const text = i === 3 ? `early ${shared} jam` : i === 140 ? `later ${shared} tart` : `filler ${i}`;
    await post(writer.token, conv.id, text);
  }
  await post(other.token, elsewhere.id, `${shared} and ${onlyThere} in another chat`);
  const chats = reader.page.getByRole('list', { name: 'Chats' });
  await expect(chats.getByRole('button', { name: /Tom Elsewhere/ })).toBeVisible();
  await chats.getByRole('button', { name: /Sam Inchat/ }).click();
  await expect(bubbles(reader).last()).toHaveText('filler 150');

  // By keyboard: the menu opens on its first item.
  await reader.page.getByRole('button', { name: 'Chat options' }).focus();
  await reader.page.keyboard.press('Enter');
  await expect(reader.page.getByRole('menuitem', { name: 'Search in chat' })).toBeFocused();
  await reader.page.keyboard.press('Enter');
  const box = reader.page.getByRole('searchbox', { name: 'Search in this chat' });
  await expect(box).toBeFocused();
  await box.fill(shared);
  const results = reader.page.getByRole('region', { name: 'Results in this chat' }).getByTestId('chat-search-result');
  await expect(results).toHaveCount(2);
  await expect(reader.page.getByTestId('chat-search-count')).toHaveText('2 results');
  await expect(results.nth(0)).toContainText('later');
  await expect(results.nth(1)).toContainText('early');
  await expect(results.nth(1).locator('mark')).toHaveText(shared);
  await reader.page.screenshot({ path: shot('in-chat-results') });

  // The older one is loaded and shown, highlighted; the results fold away.
  await results.nth(1).click();
  await expect(results).toHaveCount(0);
  const target = bubbles(reader).filter({ hasText: `early ${shared}` });
  await expect(target).toBeInViewport();
  await expect(reader.page.locator('[data-highlighted]')).toContainText(shared);
  await reader.page.waitForTimeout(300);
  await reader.page.screenshot({ path: shot('in-chat-picked') });

  // Focus is back in the box; the down arrow (or a click) brings the results back, and a word
  // from another chat finds nothing here.
  await expect(box).toBeFocused();
  await box.press('ArrowDown');
  await expect(results).toHaveCount(2);
  await box.fill(onlyThere);
  await expect(reader.page.getByRole('region', { name: 'Results in this chat' })).toContainText('No messages match');
  await expect(reader.page.getByTestId('chat-search-count')).toHaveText('No results');

  // Escape ends the search: the header is back, and the chat still takes new messages.
  await box.press('Escape');
  await expect(box).toHaveCount(0);
  await expect(reader.page.getByRole('heading', { name: 'Sam Inchat' })).toBeVisible();
  await expect(reader.page.getByRole('button', { name: 'Chat options' })).toBeFocused();
  await reader.page.getByRole('button', { name: /Jump to latest/ }).click();
  await post(writer.token, conv.id, 'after the search');
  await expect(bubbles(reader).last()).toHaveText('after the search');

  // A search open in one chat stays with it: another chat opens with its header.
  if (info.project.name === 'desktop') {
    await chatMenu(reader, 'Search in chat');
    await expect(box).toBeFocused();
    await chats.getByRole('button', { name: /Tom Elsewhere/ }).click();
    await expect(reader.page.getByRole('heading', { name: 'Tom Elsewhere' })).toBeVisible();
    await expect(box).toHaveCount(0);
  }
  await reader.page.context().close();
});

test('past the newest 30 matches: older results on request, in the sidebar and in a chat', async ({
  browser,
}, info) => {
  const reader = await signUp(browser, server.url, 'Uma Pager', info.project.use);
  const writer = await apiUser('Vic Pager');
  const conv = await directChat(writer.token, await myId(reader.page));
  const many = word('tamarind');
  for (let i = 1; i <= 70; i++) await post(writer.token, conv.id, `${many} note ${i}`);
  const chats = reader.page.getByRole('list', { name: 'Chats' });
  await expect(chats.getByRole('button', { name: /Vic Pager/ })).toBeVisible();

  // The sidebar: 30, then by keyboard the next 30 (focus on the first of them), then the rest.
  await searchBox(reader.page).fill(many);
  await expect(messageResults(reader.page)).toHaveCount(30);
  await expect(messageResults(reader.page).first()).toContainText('note 70');
  const older = reader.page.getByRole('button', { name: 'Show older results' });
  await older.focus();
  await reader.page.keyboard.press('ArrowUp');
  await expect(messageResults(reader.page).nth(29)).toBeFocused();
  await reader.page.keyboard.press('ArrowDown');
  await expect(older).toBeFocused();
  await reader.page.keyboard.press('Enter');
  await expect(messageResults(reader.page)).toHaveCount(60);
  await expect(messageResults(reader.page).nth(30)).toBeFocused();
  await expect(messageResults(reader.page).nth(30)).toContainText('note 40');
  await older.click();
  await expect(messageResults(reader.page)).toHaveCount(70);
  await expect(older).toHaveCount(0);
  await expect(messageResults(reader.page).last()).toContainText(/note 1$/);
  await expect(messageResults(reader.page).nth(60)).toBeFocused();
  await expect(messageResults(reader.page).nth(60)).toContainText(/note 10$/);
  const texts = await messageResults(reader.page).allTextContents();
  expect(new Set(texts).size).toBe(70);
  await searchBox(reader.page).press('Escape');

  // In the chat: the count says there are more until there are not.
  await chats.getByRole('button', { name: /Vic Pager/ }).click();
  await expect(bubbles(reader).last()).toHaveText(`${many} note 70`);
  await chatMenu(reader, 'Search in chat');
  const box = reader.page.getByRole('searchbox', { name: 'Search in this chat' });
  await box.fill(many.slice(0, 9));
  const results = reader.page.getByRole('region', { name: 'Results in this chat' }).getByTestId('chat-search-result');
  const count = reader.page.getByTestId('chat-search-count');
  await expect(results).toHaveCount(30);
  await expect(count).toHaveText('30+ results');
  await older.click();
  await expect(results).toHaveCount(60);
  await expect(count).toHaveText('60+ results');
  await older.scrollIntoViewIfNeeded();
  await reader.page.screenshot({ path: shot('older-results') });
  await older.click();
  await expect(results).toHaveCount(70);
  await expect(count).toHaveText('70 results');
  await expect(older).toHaveCount(0);
  // The oldest, far back in the history, opens highlighted.
  await results.last().click();
  await expect(bubbles(reader).filter({ hasText: new RegExp(`${many} note 1$`) })).toBeInViewport();
  await expect(reader.page.locator('[data-highlighted]').getByTestId('message-text')).toHaveText(`${many} note 1`);
  await reader.page.context().close();
});

import { expect, test, type Locator } from '@playwright/test';
import sharp from 'sharp';
import { startAppServer } from './app-server.js';
import { actions, bubbles, openChatWith, openFromList, own, send, signUp, type Person } from './helpers.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

const shot = (name: string) => `test-results/screens/${test.info().project.name}-${name}.png`;
const phone = () => test.info().project.name === 'phone';

/** A real PNG (an RGB gradient), so the server's sniffing and thumbnailing have pixels to read. */
function png(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 160], (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const theirs = (p: Person, text: string) => p.page.getByTestId('their-message').filter({ hasText: text });

const chip = (scope: Locator, emoji: string) => scope.getByTestId('reaction-chip').filter({ hasText: emoji });

test('photos, edits, deletes, replies and reactions reach the other side live', async ({ browser }, info) => {
  const ada = await signUp(browser, server.url, 'Ada Rich', info.project.use);
  const ben = await signUp(browser, server.url, 'Ben Rich', info.project.use);
  await openChatWith(ada, ben);

  // A photo with a caption: uploaded with progress, then sent.
  await ada.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: await png(320, 200) });
  await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
  await ada.page.getByRole('textbox', { name: 'Message' }).fill('Look at this');
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(ada.page.getByTestId('staged-file')).toHaveCount(0);

  const item = ben.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Ada Rich/ });
  await expect(item.getByTestId('preview')).toHaveText('📷 Look at this');
  await openFromList(ben, 'Ada Rich');
  const preview = ben.page.getByTestId('image-preview');
  await expect(preview).toBeVisible();
  await expect
    .poll(() => preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);
  await ben.page.getByRole('button', { name: 'Open photo gradient.png' }).click();
  const lightbox = ben.page.getByRole('dialog', { name: 'Photo: gradient.png' });
  await expect
    .poll(() =>
      lightbox.getByTestId('lightbox-image').evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    )
    .toBe(320);
  await expect(lightbox.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'gradient.png');
  await ben.page.screenshot({ path: shot('photo-viewer') });
  await ben.page.keyboard.press('Escape');
  await expect(lightbox).toBeHidden();

  // A file: a card with its name and size; its download keeps the original name.
  await ada.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('bring snacks\n') });
  await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  const card = ben.page.getByTestId('file-card');
  await expect(card).toContainText('notes.txt');
  await expect(card).toContainText('13 B');
  const [download] = await Promise.all([
    ben.page.waitForEvent('download'),
    card.getByRole('button', { name: 'Download notes.txt' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('notes.txt');
  // A reply to the file names it in the quote, on both sides. (On phones the bubble is tapped
  // beside the card: the card itself downloads.)
  const fileBubble = theirs(ben, 'notes.txt');
  if (phone()) await fileBubble.click({ position: { x: 3, y: 3 } });
  const fileMenu = phone() ? ben.page.getByRole('menu', { name: 'Message actions' }) : await actions(ben, fileBubble);
  await fileMenu.getByRole('menuitem', { name: 'Reply' }).click();
  await send(ben, 'Got the notes');
  await expect(own(ben, 'Got the notes').getByTestId('reply-quote')).toContainText('📎 notes.txt');
  await expect(theirs(ada, 'Got the notes').getByTestId('reply-quote')).toContainText('📎 notes.txt');
  await ada.page.screenshot({ path: `test-results/screens/${info.project.name}-reply-to-file.png` });

  // Edit: Ben sees the new text, marked "edited".
  await send(ada, 'Meet at 6');
  await expect(bubbles(ben).last()).toHaveText('Meet at 6');
  await (await actions(ada, own(ada, 'Meet at 6'))).getByRole('menuitem', { name: 'Edit' }).click();
  await expect(ada.page.getByTestId('editing-bar')).toContainText('Editing message');
  const box = ada.page.getByRole('textbox', { name: 'Message' });
  await expect(box).toHaveValue('Meet at 6');
  await box.fill('Meet at 7');
  if (phone()) await ada.page.getByRole('button', { name: 'Save' }).click();
  else await box.press('Enter');
  await expect(theirs(ben, 'Meet at 7').getByTestId('edited')).toBeVisible();
  await expect(ada.page.getByTestId('editing-bar')).toHaveCount(0);

  // Delete for everyone, after a confirmation.
  await send(ada, 'wrong chat, sorry');
  await expect(bubbles(ben).last()).toHaveText('wrong chat, sorry');
  await (await actions(ada, own(ada, 'wrong chat, sorry'))).getByRole('menuitem', { name: 'Delete' }).click();
  await ada.page
    .getByRole('dialog', { name: 'Delete message?' })
    .getByRole('button', { name: 'Delete for everyone' })
    .click();
  await expect(ben.page.getByTestId('tombstone')).toHaveText(/This message was deleted/);
  await expect(ben.page.getByText('wrong chat, sorry')).toHaveCount(0);

  // Ben answers the edited message; Ada's copy quotes it, and the quote leads back to it.
  await (await actions(ben, theirs(ben, 'Meet at 7'))).getByRole('menuitem', { name: 'Reply' }).click();
  await expect(ben.page.getByTestId('reply-bar')).toContainText('Replying to Ada Rich');
  await send(ben, 'Works for me');
  const reply = theirs(ada, 'Works for me');
  await expect(reply.getByTestId('reply-quote')).toContainText('Meet at 7');
  await reply.getByTestId('reply-quote').click();
  await expect(own(ada, 'Meet at 7')).toHaveAttribute('data-highlighted', 'true');

  // The menu by keyboard: ←/→ along the emoji, ↓ to the actions and down them, ↑ back up.
  const menu = await actions(ben, theirs(ben, 'Meet at 7'));
  const entry = (name: string) => menu.getByRole('menuitem', { name });
  await expect(entry('React with 👍')).toBeFocused();
  for (const [key, name] of [
    ['ArrowLeft', 'React with 🙏'],
    ['ArrowRight', 'React with 👍'],
    ['ArrowRight', 'React with ❤️'],
    ['ArrowDown', 'Reply'],
    ['ArrowDown', 'Copy text'],
    ['ArrowRight', 'Copy text'],
    ['ArrowUp', 'Reply'],
    ['ArrowUp', 'React with 👍'],
    ['ArrowUp', 'Copy text'],
  ] as const) {
    await ben.page.keyboard.press(key);
    await expect(entry(name), `${key} to ${name}`).toBeFocused();
  }
  await ben.page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);

  // Reactions: Ben's 👍 shows on Ada's side; Ada adds hers by clicking the chip.
  await (await actions(ben, theirs(ben, 'Meet at 7'))).getByRole('menuitem', { name: 'React with 👍' }).click();
  const adaRow = own(ada, 'Meet at 7').locator('xpath=..');
  await expect(chip(adaRow, '👍').getByTestId('reaction-count')).toHaveText('1');
  await expect(chip(adaRow, '👍')).toHaveAttribute('title', 'Ben Rich');
  await chip(adaRow, '👍').click();
  await expect(chip(adaRow, '👍').getByTestId('reaction-count')).toHaveText('2');
  await expect(chip(adaRow, '👍')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(theirs(ben, 'Meet at 7').locator('xpath=..'), '👍').getByTestId('reaction-count')).toHaveText('2');
  await ada.page.screenshot({ path: shot('rich-thread') });
  for (const p of [ada, ben]) await p.page.context().close();
});

test('edits and reactions made while a device was offline show once it is back', async ({ browser }, info) => {
  const cy = await signUp(browser, server.url, 'Cy Online', info.project.use);
  const di = await signUp(browser, server.url, 'Di Offline', info.project.use);
  await openChatWith(cy, di);
  await send(cy, 'Lunch?');
  await send(cy, 'Anyone?');
  await openFromList(di, 'Cy Online');
  await expect(bubbles(di)).toHaveText(['Lunch?', 'Anyone?']);

  await di.page.context().setOffline(true);
  await expect(di.page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
  await (await actions(cy, own(cy, 'Lunch?'))).getByRole('menuitem', { name: 'Edit' }).click();
  await cy.page.getByRole('textbox', { name: 'Message' }).fill('Lunch at noon?');
  await cy.page.getByRole('button', { name: 'Save' }).click();
  await expect(own(cy, 'Lunch at noon?').getByTestId('edited')).toBeVisible();
  await (await actions(cy, own(cy, 'Anyone?'))).getByRole('menuitem', { name: 'React with ❤️' }).click();
  await expect(chip(own(cy, 'Anyone?').locator('xpath=..'), '❤️')).toBeVisible();
  // Still the old state on the offline device.
  await expect(bubbles(di)).toHaveText(['Lunch?', 'Anyone?']);

  await di.page.context().setOffline(false);
  await expect(di.page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(theirs(di, 'Lunch at noon?').getByTestId('edited')).toBeVisible();
  await expect(chip(theirs(di, 'Anyone?').locator('xpath=..'), '❤️').getByTestId('reaction-count')).toHaveText('1');
  for (const p of [cy, di]) await p.page.context().close();
});

test('a long file name and a long caption stay within their attachment', async ({ browser }, info) => {
  const ada = await signUp(browser, server.url, 'Ada Layout', info.project.use);
  const ben = await signUp(browser, server.url, 'Ben Layout', info.project.use);
  await openChatWith(ada, ben);

  // A file with a long name: the name takes two lines, and the time and ticks sit in the
  // bubble's bottom right corner, as under a text.
  const longName = 'quarterly-financial-report-final-version-2026-reviewed-by-legal.pdf';
  await ada.page
    .getByTestId('file-input')
    .setInputFiles({ name: longName, mimeType: 'application/pdf', buffer: Buffer.alloc(5000, 1) });
  await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  const fileBubble = own(ada, longName);
  await expect(fileBubble.getByTestId('ticks')).toHaveAttribute('data-state', /sent|delivered|read/);
  const name = fileBubble.getByTitle(longName);
  const lines = await name.evaluate((e) => {
    const style = (globalThis as unknown as { getComputedStyle(e: unknown): { lineHeight: string } }).getComputedStyle(
      e,
    );
    return e.getBoundingClientRect().height / parseFloat(style.lineHeight);
  });
  expect(Math.round(lines)).toBe(2);
  const bubbleBox = (await fileBubble.boundingBox())!;
  const ticksBox = (await fileBubble.getByTestId('ticks').boundingBox())!;
  expect(bubbleBox.x + bubbleBox.width - (ticksBox.x + ticksBox.width)).toBeLessThan(20);

  // A tall photo with a long caption: the caption wraps at the photo's width, so the bubble
  // is as wide as the photo (and its 4 px frame), not as wide as the caption would like.
  await ada.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'tall.png', mimeType: 'image/png', buffer: await png(200, 400) });
  await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
  const caption = 'A long caption for a tall photo, which wraps inside the photo’s width and leaves no blank strip';
  await ada.page.getByRole('textbox', { name: 'Message' }).fill(caption);
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  await openFromList(ben, 'Ada Layout');
  const photoBubble = ben.page.getByTestId('their-message').filter({ hasText: caption });
  await expect(photoBubble.getByTestId('image-preview')).toBeVisible();
  const photo = (await photoBubble.getByRole('button', { name: 'Open photo tall.png' }).boundingBox())!;
  const bubble = (await photoBubble.boundingBox())!;
  expect(photo.width).toBe(160);
  expect(bubble.width).toBeLessThanOrEqual(photo.width + 10);
  await ben.page.screenshot({ path: shot('long-name-and-caption') });

  // A very narrow photo without a caption: its time and ticks stay on one line, in the bubble.
  await ada.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'narrow.png', mimeType: 'image/png', buffer: await png(30, 600) });
  await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  const narrow = ada.page
    .getByTestId('own-message')
    .filter({ has: ada.page.getByRole('button', { name: 'Open photo narrow.png' }) });
  await expect(narrow.getByTestId('ticks')).toHaveAttribute('data-state', /sent|delivered|read/);
  const overlay = (await narrow.getByTestId('ticks').locator('xpath=..').boundingBox())!;
  const narrowBubble = (await narrow.boundingBox())!;
  expect(overlay.height).toBeLessThan(24);
  expect(overlay.x).toBeGreaterThanOrEqual(narrowBubble.x);
  await ada.page.screenshot({ path: shot('narrow-photo') });
});

test('a message of only emoji is drawn large, on both sides; emoji within text stay text-sized', async ({
  browser,
}, info) => {
  const ada = await signUp(browser, server.url, 'Ada Emoji', info.project.use);
  const ben = await signUp(browser, server.url, 'Ben Emoji', info.project.use);
  await openChatWith(ada, ben);
  await send(ada, 'That was 😀 amazing');
  await send(ada, '🎉');
  await send(ada, '👍🏽 ❤️ 🇫🇷');
  await openFromList(ben, 'Ada Emoji');

  const fontSize = (l: Locator) =>
    l.evaluate((e) => parseFloat(e.ownerDocument.defaultView!.getComputedStyle(e).fontSize));
  for (const p of [ada, ben]) {
    const text = bubbles(p).filter({ hasText: 'That was' });
    const one = bubbles(p).filter({ hasText: '🎉' });
    const three = bubbles(p).filter({ hasText: '🇫🇷' });
    await expect(one).toHaveAttribute('data-jumbo', '1');
    await expect(three).toHaveAttribute('data-jumbo', '3');
    await expect(text).not.toHaveAttribute('data-jumbo');
    const body = await fontSize(text);
    expect(await fontSize(one)).toBeGreaterThanOrEqual(2.5 * body);
    expect(await fontSize(three)).toBeGreaterThanOrEqual(1.8 * body);
    expect(await fontSize(one)).toBeGreaterThan(await fontSize(three));
  }
  // The spaces between them are kept, and the bubble keeps its time and ticks.
  await expect(bubbles(ada).filter({ hasText: '🇫🇷' })).toHaveText('👍🏽 ❤️ 🇫🇷');
  await expect(own(ada, '🎉').getByTestId('ticks')).toHaveAttribute('data-state', 'read');
  await ada.page.screenshot({ path: shot('emoji') });
});

test('the emoji button puts emoji where the cursor is, and Escape closes its panel', async ({ browser }, info) => {
  const ada = await signUp(browser, server.url, 'Ada Picker', info.project.use);
  const ben = await signUp(browser, server.url, 'Ben Picker', info.project.use);
  await openChatWith(ada, ben);
  const box = ada.page.getByRole('textbox', { name: 'Message' });
  await box.fill('See you  soon');
  await box.evaluate((el) =>
    (el as unknown as { setSelectionRange(a: number, b: number): void }).setSelectionRange(8, 8),
  );
  await ada.page.getByRole('button', { name: 'Emoji' }).click();
  const panel = ada.page.getByRole('dialog', { name: 'Emoji' });
  await panel.getByRole('button', { name: 'waving hand' }).click();
  await panel.getByRole('button', { name: 'red heart' }).click();
  await expect(box).toHaveValue('See you 👋❤️ soon');
  await ada.page.screenshot({ path: shot('emoji-picker') });
  await ada.page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(ada.page.getByRole('button', { name: 'Emoji' })).toBeFocused();
  await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
  await openFromList(ben, 'Ada Picker');
  await expect(bubbles(ben)).toHaveText(['See you 👋❤️ soon']);
});

/**
 * Each text bubble's slack: the px between its box's right edge and what its lines need (the
 * widest line, and the time beside the last line or on a line of its own), and whether giving
 * it its natural CSS width instead would change how its text wraps.
 */
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}

function bubbleFits(page: Person['page']) {
  return page.getByTestId('message-text').evaluateAll((texts) =>
    texts.map((text) => {
      const box = text.parentElement!;
      const bubble = box.parentElement!;
      const meta = box.querySelector('[data-meta]')!;
      const range = text.ownerDocument.createRange();
      range.selectNodeContents(text);
      const rects: Box[] = Array.from(range.getClientRects());
      if (rects.length === 0) return null; // a row the list is laying out, not shown
      const inner = box.getBoundingClientRect();
      const [left, right] = [inner.left + 12, inner.right - 12]; // px-3
      const widest = Math.max(...rects.map((r) => r.right));
      const last = rects.reduce((a, r) => (r.bottom > a.bottom + 0.5 ? r : a));
      const m = meta.getBoundingClientRect();
      const needs = m.top < last.bottom ? Math.max(widest, last.right + 8 + m.width) : Math.max(widest, left + m.width);
      const lines = new Set(rects.map((r) => Math.round(r.bottom))).size;
      const fitted = bubble.style.width;
      bubble.style.width = '';
      const natural = new Set(Array.from(range.getClientRects(), (r: Box) => Math.round(r.bottom))).size;
      bubble.style.width = fitted;
      return { text: text.textContent, slack: right - needs, lines, natural, ownLine: m.top >= last.bottom, fitted };
    }),
  );
}

test('a text bubble is as wide as its lines, the time included, at any width', async ({ browser }, info) => {
  const ada = await signUp(browser, server.url, 'Ada Width', info.project.use);
  const ben = await signUp(browser, server.url, 'Ben Width', info.project.use);
  await openChatWith(ada, ben);
  // Every prefix of a sentence, word by word: somewhere the time no longer fits beside the
  // text, and the lines wrap short of the bubble's cap, at phone and desktop widths alike.
  const words = (
    'Shall we meet at the station tomorrow morning before the train leaves for the coast, ' +
    'or would you rather take the later one and have breakfast first at the corner cafe?'
  ).split(' ');
  const sent: string[] = [];
  for (let n = 4; n <= words.length; n++) {
    sent.push(words.slice(0, n).join(' '));
    await send(ada, sent.at(-1)!);
  }
  await expect(own(ada, sent.at(-1)!).getByTestId('ticks')).toHaveAttribute('data-state', /sent|delivered|read/);
  await openFromList(ben, 'Ada Width');
  await expect(bubbles(ben).filter({ hasText: sent.at(-1)! })).toBeVisible();

  // The list draws only the rows in view: each is measured on the way from the last to the first.
  const check = async (p: Person, every = true) => {
    const seen = new Map<string, NonNullable<Awaited<ReturnType<typeof bubbleFits>>[number]>>();
    const scroller = p.page.locator('[data-virtuoso-scroller]');
    await expect
      .poll(() => scroller.evaluate((e) => (e.scrollTop = e.scrollHeight) - e.scrollTop - e.clientHeight))
      .toBeLessThan(1);
    for (;;) {
      for (const f of await bubbleFits(p.page)) if (f) seen.set(f.text!, f);
      if ((await scroller.evaluate((e) => e.scrollTop)) === 0) break;
      await scroller.evaluate((e) => (e.scrollTop = Math.max(0, e.scrollTop - e.clientHeight / 2)));
      await p.page.waitForTimeout(100);
    }
    if (every) expect([...seen.keys()].sort()).toEqual([...sent].sort());
    else expect(seen.size).toBeGreaterThan(sent.length / 2);
    for (const f of seen.values()) {
      expect.soft(f.slack, f.text!).toBeLessThanOrEqual(2);
      // (A line's last space hangs past the edge, and counts in its width: up to -5 px.)
      expect.soft(f.slack, f.text!).toBeGreaterThanOrEqual(-6);
      expect.soft(f.lines, f.text!).toBe(f.natural);
    }
    // Both cases were met: a bubble with its time on a line of its own, and one narrowed.
    expect([...seen.values()].some((f) => f.ownLine)).toBe(true);
    expect([...seen.values()].some((f) => f.fitted !== '')).toBe(true);
  };
  await check(ada);
  await check(ben);
  await ben.page.screenshot({ path: shot('bubble-widths') });
  // Turned sideways, or a window made narrower: the bubbles are measured again. (After a resize
  // the list does not always draw its last rows again at once: most, not all, are measured.)
  const size = ben.page.viewportSize()!;
  await ben.page.setViewportSize({ width: phone() ? size.height : 700, height: phone() ? size.width : 800 });
  await check(ben, false);
});

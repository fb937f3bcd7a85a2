import { expect, test, type Locator } from '@playwright/test';
import sharp from 'sharp';
import { startAppServer } from './app-server.js';
import { openChatWith, openFromList, own, send, signUp } from './helpers.js';
import { myId, restOf } from './rest.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

/** How many lines an element's text takes (the distinct tops of its boxes). */
const linesOf = (l: Locator) =>
  l.evaluate((e) => {
    const range = e.ownerDocument.createRange();
    range.selectNodeContents(e);
    const tops = new Set<number>();
    for (const r of range.getClientRects()) tops.add(Math.round(r.top));
    return tops.size;
  });

const ARABIC = 'مرحبا بك في تطبيق الدردشة، كيف حالك اليوم؟ '.repeat(4).trim();
const HEBREW = 'שלום! מה שלומך? 123 ok';

test('Arabic and Hebrew read right to left, in bubbles and in the composer', async ({ browser }, info) => {
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Rtl', device),
    await signUp(browser, server.url, 'Ben Rtl', device),
  ];
  try {
    await openChatWith(ada, ben);
    const box = ada.page.getByRole('textbox', { name: 'Message' });
    await box.fill(HEBREW);
    expect(await box.evaluate((el) => el.matches(':dir(rtl)'))).toBe(true);
    await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
    await send(ada, ARABIC);
    await send(ada, 'and in English');
    await openChatWith(ben, ada);

    const text = (s: string) => ben.page.getByTestId('message-text').filter({ hasText: s.slice(0, 12) });
    for (const s of [HEBREW, ARABIC]) {
      await expect(text(s)).toBeVisible();
      expect(await text(s).evaluate((e) => e.matches(':dir(rtl)'))).toBe(true);
    }
    // The long Arabic one wraps, and its lines start on the right: each ends at the right of
    // the text's box (a left-to-right paragraph would leave its first line's end short of it).
    const ends = await text(ARABIC).evaluate((e) => {
      const box = e.parentElement!;
      const right =
        box.getBoundingClientRect().right - parseFloat(e.ownerDocument.defaultView!.getComputedStyle(box).paddingRight);
      const range = e.ownerDocument.createRange();
      range.selectNodeContents(e);
      const lines = new Map<number, number>();
      for (const r of range.getClientRects())
        lines.set(Math.round(r.top), Math.max(lines.get(Math.round(r.top)) ?? 0, r.right));
      return [...lines.values()].map((end) => Math.round(right - end));
    });
    expect(ends.length).toBeGreaterThan(1);
    for (const gap of ends.slice(0, -1)) expect(Math.abs(gap)).toBeLessThan(8); // a space may hang there
    expect(
      await text(ARABIC).evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e.parentElement!).textAlign),
    ).toBe('right');
    expect(await text('and in English').evaluate((e) => e.matches(':dir(ltr)'))).toBe(true);
    await ben.page.screenshot({ path: `test-results/screens/${info.project.name}-rtl.png` });
  } finally {
    for (const p of [ada, ben]) await p.page.context().close();
  }
});

test('a link that fits on the next line moves there whole; one longer than a line still wraps', async ({
  browser,
}, info) => {
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Links', device),
    await signUp(browser, server.url, 'Ben Links', device),
  ];
  try {
    await openChatWith(ada, ben);
    // Links at many places along the lines: some would reach a line's end.
    await send(ada, 'see www.example.org and '.repeat(14).trim());
    const long = `https://example.com/${'x'.repeat(300)}`;
    await send(ada, long);
    const lastBubble = ada.page.getByTestId('message-text').last();
    await expect(lastBubble).toHaveText(long);
    const links = ada.page.getByTestId('message-text').first().getByRole('link');
    await expect(links).toHaveCount(14);
    for (const link of await links.all()) expect(await linesOf(link)).toBe(1);
    expect(await linesOf(lastBubble.getByRole('link'))).toBeGreaterThan(1);
    // Nothing sticks out sideways.
    expect(
      await ada.page.locator('html').evaluate((h) => h.scrollWidth <= h.ownerDocument.defaultView!.innerWidth),
    ).toBe(true);
  } finally {
    for (const p of [ada, ben]) await p.page.context().close();
  }
});

test('a tiny photo has its time under it, inside its bubble; a larger one over its corner', async ({
  browser,
}, info) => {
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Tiny', device),
    await signUp(browser, server.url, 'Ben Tiny', device),
  ];
  try {
    await openChatWith(ada, ben);
    for (const [name, w, h] of [
      ['tiny.png', 40, 30],
      ['wide.png', 400, 300],
    ] as const) {
      const buffer = await sharp({ create: { width: w, height: h, channels: 3, background: '#c84' } })
        .png()
        .toBuffer();
      await ada.page.getByTestId('file-input').setInputFiles({ name, mimeType: 'image/png', buffer });
      await expect(ada.page.getByTestId('staged-file')).toHaveAttribute('data-status', 'ready');
      await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(ada.page.getByTestId('staged-file')).toHaveCount(0);
    }
    const bubbles = ada.page.getByTestId('own-message');
    await expect(bubbles).toHaveCount(2);
    const boxes = async (i: number) => {
      const b = bubbles.nth(i);
      await expect(b.getByTestId('ticks')).toBeVisible();
      const [bubble, photo, ticks] = await Promise.all(
        [b, b.getByRole('button', { name: /Open photo/ }), b.getByTestId('ticks')].map((l) => l.boundingBox()),
      );
      return { bubble: bubble!, photo: photo!, ticks: ticks! };
    };
    const tiny = await boxes(0);
    expect(tiny.ticks.y).toBeGreaterThanOrEqual(tiny.photo.y + tiny.photo.height); // under the photo
    expect(tiny.ticks.x + tiny.ticks.width).toBeLessThanOrEqual(tiny.bubble.x + tiny.bubble.width);
    const wide = await boxes(1);
    expect(wide.ticks.y + wide.ticks.height).toBeLessThanOrEqual(wide.photo.y + wide.photo.height); // over it
    await ada.page.screenshot({ path: `test-results/screens/${info.project.name}-tiny-photo.png` });
  } finally {
    for (const p of [ada, ben]) await p.page.context().close();
  }
});

test('↑ in an empty composer edits one’s last message and brings it into view', async ({ browser }, info) => {
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const ada = await signUp(browser, server.url, 'Ada Edits', device);
  const rest = restOf(() => server.url);
  const ben = await rest.apiUser('Ben Talks');
  try {
    const chat = await rest.directChat(ben.token, await myId(ada.page));
    await rest.post(ben.token, chat.id, 'hello');
    await openFromList(ada, 'Ben Talks');
    await send(ada, 'my one message');
    await expect(own(ada, 'my one message').getByTestId('ticks')).toHaveAttribute('data-state', /sent|delivered|read/);
    for (let i = 1; i <= 30; i++) await rest.post(ben.token, chat.id, `line ${i} of a long answer`);
    await expect(ada.page.getByTestId('message-text').filter({ hasText: 'line 30 of a long answer' })).toBeInViewport();
    await expect(own(ada, 'my one message')).not.toBeInViewport();

    await ada.page.getByRole('textbox', { name: 'Message' }).press('ArrowUp');
    await expect(ada.page.getByTestId('editing-bar')).toBeVisible();
    await expect(ada.page.getByRole('textbox', { name: 'Message' })).toHaveValue('my one message');
    await expect(own(ada, 'my one message')).toBeInViewport();
  } finally {
    await ada.page.context().close();
  }
});

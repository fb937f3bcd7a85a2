import { expect, test, type Locator } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { actions, chatMenu, createGroupInUi, openChatWith, own, send, shot, signUp, theirs } from './helpers.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

/**
 * The contrast ratio (WCAG 2) of an element's text against what is behind it: its colour and
 * the first opaque background up its ancestors, translucent ones laid over it on the way, each
 * turned into sRGB by a canvas (computed colours may be oklch or color-mix).
 */
const contrastOf = (l: Locator) =>
  l.evaluate((el) => {
    const doc = el.ownerDocument;
    const view = doc.defaultView!;
    const ctx = doc.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
    const rgba = (css: string) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r!, g!, b!, a! / 255] as const;
    };
    const over = (top: readonly number[], under: readonly number[]) =>
      [0, 1, 2].map((i) => top[i]! * top[3]! + under[i]! * (1 - top[3]!)).concat(1);
    const layers: (readonly number[])[] = [];
    for (let e: typeof el | null = el; e; e = e.parentElement) {
      const bg = rgba(view.getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let back: readonly number[] = [255, 255, 255, 1];
    for (const layer of layers.reverse()) back = over(layer, back);
    const text = over(rgba(view.getComputedStyle(el).color), back);
    const lum = (c: readonly number[]) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [hi, lo] = [lum(text), lum(back)].sort((a, b) => b - a);
    return Math.round(((hi! + 0.05) / (lo! + 0.05)) * 100) / 100;
  });

for (const scheme of ['light', 'dark'] as const) {
  test(`small text meets WCAG AA (4.5:1) in the ${scheme} theme: the list's times and previews, a message's time and "edited"`, async ({
    browser,
  }, info) => {
    const device = { ...info.project.use, colorScheme: scheme };
    const [ada, ben] = [
      await signUp(browser, server.url, 'Ada Contrast', device),
      await signUp(browser, server.url, 'Ben Contrast', device),
    ];
    try {
      await openChatWith(ada, ben);
      await send(ada, 'first try');
      await (await actions(ada, own(ada, 'first try'))).getByRole('menuitem', { name: 'Edit' }).click();
      const box = ada.page.getByRole('textbox', { name: 'Message' });
      await box.fill('second try');
      if (info.project.name === 'phone') await ada.page.getByRole('button', { name: 'Save' }).click();
      else await box.press('Enter');
      await expect(own(ada, 'second try').getByTestId('edited')).toBeVisible();
      await openChatWith(ben, ada);
      await send(ben, 'got it');

      const check = async (what: string, l: Locator) => expect(await contrastOf(l), what).toBeGreaterThanOrEqual(4.5);
      await check('own “edited”', own(ada, 'second try').getByTestId('edited'));
      await check('their time', theirs(ben, 'second try').locator('[data-meta]'));
      if (info.project.name === 'phone') await ada.page.getByRole('button', { name: 'Back' }).click();
      const item = ada.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Ben Contrast/ });
      await check('list preview', item.getByTestId('preview'));
      await check('list time', item.getByText(/\d:\d\d/));
    } finally {
      for (const p of [ada, ben]) await p.page.context().close();
    }
  });
}

test('the keyboard focus ring of a chat in the list is drawn whole, not cut off by the list', async ({
  browser,
}, info) => {
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Focus', device),
    await signUp(browser, server.url, 'Ben Focus', device),
  ];
  try {
    await openChatWith(ben, ada);
    await send(ben, 'ping');
    const item = ada.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Ben Focus/ });
    await expect(item).toBeVisible();
    // Reached by Tab from the search box above the list.
    await ada.page.getByRole('searchbox', { name: 'Search people' }).focus();
    for (let i = 0; i < 5 && !(await item.evaluate((e) => e.ownerDocument.activeElement === e)); i++)
      await ada.page.keyboard.press('Tab');
    expect(await item.evaluate((e) => e.matches(':focus-visible'))).toBe(true);
    // The ring (the outline, outside the row by its offset and width) within what the list shows.
    const [ring, shown] = await item.evaluate((e) => {
      const style = e.ownerDocument.defaultView!.getComputedStyle(e);
      const out = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth);
      const r = e.getBoundingClientRect();
      let clip = e.parentElement;
      while (clip && e.ownerDocument.defaultView!.getComputedStyle(clip).overflowY === 'visible')
        clip = clip.parentElement;
      const c = (clip ?? e.ownerDocument.documentElement).getBoundingClientRect();
      return [
        [r.left - out, r.right + out],
        [c.left, c.right],
      ];
    });
    expect(ring[0]).toBeGreaterThanOrEqual(shown[0]!);
    expect(ring[1]).toBeLessThanOrEqual(shown[1]!);
  } finally {
    for (const p of [ada, ben]) await p.page.context().close();
  }
});

test('on a phone, the buttons of the headers, dialogs, banner, members and settings are at least 40 px to tap', async ({
  browser,
}, info) => {
  test.skip(info.project.name !== 'phone', 'a finger is the pointer on phones; a desktop has a mouse');
  const device = { ...info.project.use, colorScheme: 'light' as const };
  const [ada, ben] = [
    await signUp(browser, server.url, 'Ada Tapper', device),
    await signUp(browser, server.url, 'Ben Tapper', device),
  ];
  const tooSmall = async (where: Locator) => {
    const small: string[] = [];
    for (const b of await where.getByRole('button').all()) {
      if (!(await b.isVisible())) continue;
      const box = (await b.boundingBox())!;
      if (Math.round(box.height) < 40 || Math.round(box.width) < 40)
        small.push(
          `${(await b.getAttribute('aria-label')) ?? (await b.innerText())}: ${Math.round(box.width)}×${Math.round(box.height)}`,
        );
    }
    return small;
  };
  try {
    const page = ada.page;
    // The list's header and the email banner.
    expect(await tooSmall(page.getByRole('navigation', { name: 'Conversations' }).locator('header'))).toEqual([]);
    expect(await tooSmall(page.getByRole('button', { name: 'Dismiss' }).locator('..'))).toEqual([]);
    // A chat's header, a group's members dialog with a member's actions.
    await openChatWith(ada, ben);
    expect(
      await tooSmall(page.locator('header').filter({ has: page.getByRole('heading', { name: 'Ben Tapper' }) })),
    ).toEqual([]);
    await page.getByRole('button', { name: 'Back' }).click();
    await createGroupInUi(ada, 'Tappers', [ben]);
    await chatMenu(ada, 'Members');
    const members = page.getByRole('dialog', { name: 'Members of Tappers' });
    await expect(members.getByRole('button', { name: 'Make admin: Ben Tapper' })).toBeVisible();
    expect(await tooSmall(members)).toEqual([]);
    await shot(page, 'members-tap-targets');
    await page.keyboard.press('Escape');
    // Settings: the photo and the devices signed in.
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    const settings = page.getByRole('region', { name: 'Settings' });
    await expect(settings.getByRole('button', { name: 'Add photo' })).toBeVisible();
    expect(await tooSmall(settings)).toEqual([]);
  } finally {
    for (const p of [ada, ben]) await p.page.context().close();
  }
});

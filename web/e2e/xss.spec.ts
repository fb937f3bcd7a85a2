import { expect, test, type Page } from '@playwright/test';
import { LIMITS } from '../../protocol/limits.js';
import { startAppServer } from './app-server.js';
import { chatMenu, uniq } from './helpers.js';
import { messages, names, titles, typed } from './xss-corpus.js';
import { domProblems, readAndScroll, restApi, type ApiUser } from './xss-kit.js';

/**
 * Hardening item 10: an XSS corpus in message contents, display names and group titles runs
 * nothing in Chromium. Every payload that could execute calls a sentinel (`__xss(n)` exposed to
 * the page, or `alert(n)` caught as a dialog); the victim's browser renders every surface that
 * shows user text, and the test asserts that no sentinel fired, no page error happened, the text
 * shows literally, and the DOM holds no element, handler attribute or URL made from user content.
 * The payloads are in xss-corpus.ts; the in-page checks and the REST calls in xss-kit.ts.
 */

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('an XSS corpus in messages, names and titles renders as text and runs nothing', async ({ browser }, info) => {
  test.setTimeout(90_000);
  const { api, register, post } = restApi(server.url);
  expect(messages.length).toBeGreaterThanOrEqual(40);
  expect(messages.at(-1)).toHaveLength(LIMITS.contentMax);
  for (const s of names) expect(s.length).toBeLessThanOrEqual(LIMITS.displayNameMax);
  for (const s of titles) expect(s.length).toBeLessThanOrEqual(LIMITS.titleMax);

  // --- The attackers, over the REST API: one per display name payload.
  const tag = uniq('x').toLowerCase();
  const victim = await register(uniq('victim'));
  const attackers = await Promise.all(names.map((_, i) => register(`${tag}_${i}`)));
  await Promise.all(
    attackers.map((a, i) => api('PATCH', '/api/users/me', a.token, { display_name: `  ${names[i]}  ` })),
  );
  const [boss, ...others] = attackers as [ApiUser, ...ApiUser[]];

  // Every attacker opens a direct chat with the victim and sends one payload.
  const directs: { id: string; name: string; last: string }[] = [];
  for (const [i, a] of attackers.entries()) {
    const c = await api<{ id: string }>('POST', '/api/conversations', a.token, {
      type: 'one_to_one',
      member_ids: [victim.id],
    });
    const content = messages[i % messages.length]!;
    await post(a, c.id, content);
    directs.push({ id: c.id, name: names[i]!, last: content });
  }
  // One group per title payload; the first holds the whole message corpus, each sender in turn.
  const groups: { id: string; title: string; members: string[]; last: string }[] = [];
  for (const [i, title] of titles.entries()) {
    const members = i === 0 ? others : others.slice(0, 3);
    const c = await api<{ id: string; title: string }>('POST', '/api/conversations', boss.token, {
      type: 'group',
      title: `\t${title} `,
      member_ids: [victim.id, ...members.map((m) => m.id)],
    });
    expect(c.title).toBe(title);
    const last = messages[(i * 7) % messages.length]!;
    groups.push({ id: c.id, title, members: [boss, ...members].map((m) => names[attackers.indexOf(m)]!), last });
    if (i > 0) await post(members[i % members.length]!, c.id, last);
  }
  const corpus = groups[0]!;
  // The 4000-character payload first: a row taller than a phone screen at the end would keep the
  // list from counting as "at the bottom", so live messages would not scroll into view.
  const corpusOrder = [messages.at(-1)!, ...messages.slice(0, -1)];
  for (const [i, content] of corpusOrder.entries()) await post(attackers[i % attackers.length]!, corpus.id, content);

  // --- The victim's browser, with every sentinel installed before the app loads.
  const context = await browser.newContext(info.project.use);
  const fired: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  await context.exposeFunction('__xss', (n: unknown) => void fired.push(`__xss(${String(n)})`));
  context.on('dialog', (d) => {
    fired.push(`${d.type()}(${d.message()})`);
    void d.dismiss().catch(() => {});
  });
  // The server's Content-Security-Policy must let the app run untouched: any violation (the
  // app's own code, or a payload that became markup) is reported here.
  await context.exposeFunction('__cspViolation', (v: string) => void cspViolations.push(v));
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  const page: Page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const popups: string[] = [];
  context.on('page', (p) => {
    if (p !== page) popups.push(p.url());
  });
  const noHarm = async (where: string) => {
    expect(await page.evaluate(domProblems), where).toEqual([]);
    expect(fired, where).toEqual([]);
    expect(pageErrors, where).toEqual([]);
    expect(cspViolations, where).toEqual([]);
  };

  await page.goto(server.url);
  await page.getByLabel('Email').fill(victim.username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const chats = page.getByRole('list', { name: 'Chats' });
  const backIfPhone = async () => {
    const back = page.getByRole('button', { name: 'Back' });
    if (await back.isVisible()) await back.click();
    await expect(chats).toBeVisible();
  };
  const chatLabels = () =>
    page.evaluate(() =>
      [...(globalThis as any).document.querySelectorAll('[aria-label="Chats"] li > button')].map((b: any) =>
        String(b.getAttribute('aria-label')),
      ),
    );
  const isItem = (label: string, title: string) => label === title || label.startsWith(`${title}, `);
  const header = page.locator('section header h2');
  const openChat = async (title: string) => {
    const i = (await chatLabels()).findIndex((l) => isItem(l, title));
    expect(i, `chat "${title}" in the list`).toBeGreaterThanOrEqual(0);
    await chats.getByRole('button').nth(i).click();
    await expect(header).toHaveJSProperty('textContent', title);
  };

  // --- Conversation list: every title and name literally, previews as text.
  await expect(chats.getByRole('button')).toHaveCount(directs.length + groups.length);
  const labels = await chatLabels();
  for (const t of [...titles, ...names])
    expect(
      labels.some((l) => isItem(l, t)),
      `list item "${t}"`,
    ).toBe(true);
  const previews = await page.evaluate(() =>
    [...(globalThis as any).document.querySelectorAll('[aria-label="Chats"] li > button')].map((b: any) => ({
      label: String(b.getAttribute('aria-label')),
      preview: String(b.querySelector('[data-testid="preview"]')?.textContent),
    })),
  );
  for (const d of directs) {
    expect(previews.find((p) => isItem(p.label, d.name))?.preview, `preview of "${d.name}"`).toBe(d.last);
  }
  await expect(chats.getByText(names[0]!, { exact: true })).toBeVisible();
  await expect(chats.getByText(titles[0]!, { exact: true })).toBeVisible();
  await noHarm('conversation list');

  // --- People search: every attacker's name as text.
  const search = page.getByRole('searchbox', { name: 'Search people' });
  await search.fill(tag);
  const people = page.getByRole('list', { name: 'People' }).getByRole('button');
  await expect(people).toHaveCount(attackers.length);
  const found = await page.evaluate(() =>
    [...(globalThis as any).document.querySelectorAll('[aria-label="People"] button .font-medium')].map((e: any) =>
      String(e.textContent),
    ),
  );
  expect(found.sort()).toEqual([...names].sort());
  await expect(page.getByRole('list', { name: 'People' }).getByText(names[3]!, { exact: true })).toBeVisible();
  await noHarm('people search');
  await search.fill('');

  // --- The corpus group: header, live messages, every payload as a row, the members dialog.
  await openChat(corpus.title);
  await expect(page.getByTestId('message-text').last()).toHaveJSProperty('textContent', corpusOrder.at(-1));
  // Two more arrive live, over the socket, while the victim watches.
  const live = [`<img src=x onerror=__xss(401)>`, `javascript:__xss(402) [y](javascript:alert(402))`];
  for (const content of live) await post(others[0]!, corpus.id, content);
  await expect
    .poll(() =>
      page.evaluate(() => {
        const doc = (globalThis as any).document;
        const scroller = doc.querySelector('section [data-testid="virtuoso-scroller"]');
        scroller.scrollTop = scroller.scrollHeight;
        return [...doc.querySelectorAll('[data-testid="message-text"]')].map((e: any) => String(e.textContent)).at(-1);
      }),
    )
    .toBe(live[1]);
  await header.hover();
  await page.getByTestId('message-text').last().hover();
  await noHarm('corpus group, at the bottom');

  const seen = new Set<string>();
  const senders = new Set<string>();
  const want = [...messages, ...live];
  const allSeen = () => want.every((m) => seen.has(m));
  const collect = async (screens: number, step: number) => {
    const r = await page.evaluate(readAndScroll, screens);
    r.texts.forEach((t) => seen.add(t));
    r.senders.forEach((s) => senders.add(s));
    if (step % 5 === 0) expect(await page.evaluate(domProblems), `corpus group, scroll step ${step}`).toEqual([]);
    return r;
  };
  // Up to the oldest message (older pages load on the way), then down again for anything skipped.
  for (let step = 0, idleAtTop = 0; step < 300 && !allSeen() && idleAtTop < 10; step++) {
    const before = seen.size;
    const r = await collect(-0.5, step);
    idleAtTop = r.atTop && seen.size === before ? idleAtTop + 1 : 0;
    if (r.atTop) await page.waitForTimeout(50);
  }
  for (let step = 0; step < 300 && !allSeen(); step++) {
    if ((await collect(0.5, step)).atBottom) break;
  }
  for (const m of want) expect(seen.has(m), `message shown as text: ${m.slice(0, 80)}`).toBe(true);
  for (const s of senders) expect(names, 'sender names as text').toContain(s);
  expect(senders.size).toBeGreaterThanOrEqual(3);
  await noHarm('corpus group, scrolled through');

  await chatMenu({ page }, 'Members');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAttribute('aria-label', `Members of ${corpus.title}`);
  await expect(dialog.locator('h2')).toHaveJSProperty('textContent', `Members of ${corpus.title}`);
  const listed = await dialog
    .locator('ul[aria-label="Members"] li span.font-medium')
    .evaluateAll((els) => els.map((e) => String(e.textContent)));
  for (const name of corpus.members) {
    expect(listed.some((l) => l === `${name} `)).toBe(true);
  }
  await noHarm('members dialog');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  // --- Every other group: header, its message, the members dialog title.
  for (const g of groups.slice(1)) {
    await backIfPhone();
    await openChat(g.title);
    await expect(page.getByTestId('message-text').last()).toHaveJSProperty('textContent', g.last);
    await chatMenu({ page }, 'Members');
    await expect(page.getByRole('dialog')).toHaveAttribute('aria-label', `Members of ${g.title}`);
    await noHarm(`group "${g.title}"`);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  }

  // --- Every direct chat: the name in the header, the payload as the message.
  for (const d of directs) {
    await backIfPhone();
    await openChat(d.name);
    await expect(page.getByTestId('message-text').last()).toHaveJSProperty('textContent', d.last);
    await noHarm(`direct chat with "${d.name}"`);
  }

  // --- The victim's own composer: sent payloads render as text, only the http(s) URL is a link.
  for (const content of typed) {
    await page.getByRole('textbox', { name: 'Message' }).fill(content);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByTestId('own-message').last().getByTestId('message-text')).toHaveJSProperty(
      'textContent',
      content,
    );
  }
  await expect(page.getByTestId('ticks').last()).not.toHaveAttribute('data-state', 'sending');
  const links = page.getByTestId('own-message').last().getByRole('link');
  await expect(links).toHaveCount(1);
  await expect(links).toHaveAttribute('href', 'https://example.com/ok303');

  // Give late handlers (image errors, animations, refreshes) time to fire, then check it all once more.
  await page.waitForTimeout(500);
  await noHarm('the end');
  expect(popups).toEqual([]);
  expect(new URL(page.url()).origin).toBe(new URL(server.url).origin);
  await context.close();
});

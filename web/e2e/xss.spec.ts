import { expect, test, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../protocol/limits.js';
import { startAppServer } from './app-server.js';
import { uniq } from './helpers.js';

/**
 * Hardening item 10: an XSS corpus in message contents, display names and group titles runs
 * nothing in Chromium. Every payload that could execute calls a sentinel (`__xss(n)` exposed to
 * the page, or `alert(n)` caught as a dialog); the victim's browser renders every surface that
 * shows user text, and the test asserts that no sentinel fired, no page error happened, the text
 * shows literally, and the DOM holds no element, handler attribute or URL made from user content.
 */

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

type Payload = (n: number) => string;

/** Fills `s` up to exactly `len` characters with more payload text. */
const fillTo = (s: string, len: number, filler: string) =>
  (s + filler.repeat(Math.ceil(len / filler.length))).slice(0, len);
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Message contents (up to LIMITS.contentMax). Numbered 1.. in the order below. */
const MESSAGE_PAYLOADS: Payload[] = [
  (n) => `<script>__xss(${n})</script>`,
  (n) => `<img src=x onerror=__xss(${n})>`,
  (n) => `<svg onload=__xss(${n})>`,
  (n) => `<svg><script>__xss(${n})</script></svg>`,
  (n) => `<iframe srcdoc="<script>parent.__xss(${n})</script>"></iframe>`,
  (n) => `<iframe src="javascript:parent.__xss(${n})"></iframe>`,
  (n) => `<a href="javascript:__xss(${n})">click me</a>`,
  (n) => `javascript:__xss(${n})`,
  (n) => `JaVaScRiPt:alert(${n})`,
  (n) => `[click me](javascript:__xss(${n}))`,
  (n) => `[x](javascript:alert(${n}))`,
  (n) => `![img](javascript:__xss(${n}))`,
  (n) => `<javascript:__xss(${n})>`,
  (n) => `data:text/html;base64,${b64(`<script>parent.__xss(${n})</script>`)}`,
  (n) => `<a href="data:text/html,<script>__xss(${n})</script>">data link</a>`,
  (n) => `vbscript:msgbox(${n})`,
  (n) => `<body onload=__xss(${n})>`,
  (n) => `<div onmouseover="__xss(${n})" style="position:fixed;inset:0">hover me</div>`,
  (n) => `<input autofocus onfocus=__xss(${n})>`,
  (n) => `<details open ontoggle=__xss(${n})>`,
  (n) => `<video><source onerror="__xss(${n})"></video>`,
  (n) => `<audio src=x onerror=__xss(${n})>`,
  (n) => `<object data="javascript:__xss(${n})"></object>`,
  (n) => `<embed src="javascript:__xss(${n})">`,
  (n) => `<svg><animate onbegin=__xss(${n}) attributeName=x dur=1s>`,
  (n) => `<svg><a xlink:href="javascript:__xss(${n})"><text x=20 y=20>svg link</text></a></svg>`,
  (n) => `<marquee onstart=__xss(${n})>`,
  (n) => `<x contenteditable onblur=__xss(${n})>lose focus`,
  (n) => `<a href="mailto:x@example.com" onclick="__xss(${n})">mail</a>`,
  // mXSS: markup that mutates when parsed and serialized again.
  (n) => `<math><mtext><table><mglyph><style><img src=x onerror=__xss(${n})>`,
  (n) => `<noscript><p title="</noscript><img src=x onerror=__xss(${n})>">`,
  (n) => `<svg></p><style><a id="</style><img src=1 onerror=__xss(${n})>">`,
  (n) => `<form><math><mtext></form><form><mglyph><style></math><img src onerror=__xss(${n})>`,
  (n) => `<!--<img src="--><img src=x onerror=__xss(${n})//">`,
  (n) => `<template><script>__xss(${n})</script></template>`,
  // HTML entities and other encodings.
  (n) => `&lt;img src=x onerror=__xss(${n})&gt;`,
  (n) => `&#60;script&#62;__xss(${n})&#60;/script&#62;`,
  (n) => `%3Cscript%3E__xss(${n})%3C%2Fscript%3E`,
  (n) => `\\u003cimg src=x onerror=__xss(${n})\\u003e`,
  (n) => `<img src=x onerror=&#95;&#95;xss(${n})>`,
  (n) => `<a href="&#106;avascript:__xss(${n})">entity link</a>`,
  (n) => `<a href="java\tscript:__xss(${n})">tab link</a>`,
  (n) => `<img src=x:alert(${n}) onerror=eval(src)>`,
  (n) => `<IMG SRC=javascript:__xss(${n})>`,
  (n) => `<scr<script>ipt>__xss(${n})</scr</script>ipt>`,
  (n) => `<<script>__xss(${n})//<</script>`,
  (n) => `<scr\u200Bipt>__xss(${n})</scr\u200Bipt>`,
  // Breaking out of attributes, text areas and templates.
  (n) => `"><script>__xss(${n})</script>`,
  (n) => `'><img src=x onerror=__xss(${n})>`,
  (n) => `</textarea><script>__xss(${n})</script>`,
  (n) => `</span></div><script>__xss(${n})</script>`,
  (n) => `{{constructor.constructor('__xss(${n})')()}}`,
  (n) => `{{constructor.constructor('alert(${n})')()}}`,
  (n) => `\${__xss(${n})}`,
  (n) => `<%= __xss(${n}) %>`,
  (n) => `<style>@import 'javascript:__xss(${n})';</style>`,
  (n) => `<link rel=import href="data:text/html,<script>__xss(${n})</script>">`,
  (n) => `<meta http-equiv="refresh" content="0;url=javascript:__xss(${n})">`,
  (n) => `<base href="javascript:__xss(${n})//">`,
  // URLs the client turns into links: only the http(s) part may become an href.
  (n) => `https://example.com/"><img src=x onerror=__xss(${n})>`,
  (n) => `https://example.com/?q=<script>__xss(${n})</script>`,
  (n) => `see javascript:__xss(${n})//https://example.com/x then https://example.com/ok`,
  (n) => `https://example.com/" onmouseover="__xss(${n})`,
  (n) => `javascript://https://example.com/%0a__xss(${n})`,
  // Right-to-left overrides and other invisible characters.
  (n) => `\u202Egnp.exe<img src=x onerror=__xss(${n})>`,
  (n) => `\u202E\u2066<script>__xss(${n})</script>\u2069 \u200F\u061C`,
  // The classic polyglot.
  (n) =>
    `jaVasCript:/*-/*\`/*\\\`/*'/*"/**/(/* */oNcliCk=__xss(${n}) )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=__xss(${n})//>\\x3e`,
  // As long as a message may be.
  (n) =>
    fillTo(
      `<img src=x onerror=__xss(${n})>`,
      LIMITS.contentMax,
      `<script>__xss(${n})</script><svg onload=__xss(${n})> javascript:__xss(${n}) `,
    ),
];

/** Display names (trimmed, up to LIMITS.displayNameMax). Numbered 101.. */
const NAME_PAYLOADS: Payload[] = [
  (n) => `<img src=x onerror=__xss(${n})>`,
  (n) => `<script>__xss(${n})</script>`,
  (n) => `<svg onload=alert(${n})>`,
  (n) => `"><b onmouseover=__xss(${n})>Mallory</b>`,
  (n) => `javascript:__xss(${n})`,
  (n) => `[me](javascript:alert(${n}))`,
  (n) => `{{constructor.constructor('__xss(${n})')()}}`,
  (n) => `&lt;b&gt;&#60;i&#62; <iframe srcdoc=x onload=__xss(${n})>`,
  (n) => `\u202Egnp.<img src=x onerror=__xss(${n})>`,
  (n) => `<iframe src=javascript:__xss(${n})>`,
  (n) => `<a href="data:text/html,<script>__xss(${n})</script>">d</a>`,
  (n) => `https://e.example/"><img src=x onerror=__xss(${n})>`,
  (n) => `<details open ontoggle=__xss(${n})>`,
  (n) => fillTo(`<img src=x onerror=__xss(${n})>`, LIMITS.displayNameMax, `<svg onload=__xss(${n})>`),
];

/** Group titles (trimmed, up to LIMITS.titleMax). Numbered 201.. */
const TITLE_PAYLOADS: Payload[] = [
  (n) => `<script>__xss(${n})</script> corpus`,
  (n) => `<img src=x onerror=alert(${n})> team`,
  (n) => `<iframe srcdoc="<script>parent.__xss(${n})</script>"></iframe>`,
  (n) => `{{constructor.constructor('alert(${n})')()}}`,
  (n) => `javascript:__xss(${n})`,
  (n) => `[group](javascript:__xss(${n}))`,
  (n) => `\u202E<svg/onload=__xss(${n})>`,
  (n) => `<math><mtext><table><mglyph><style><img src=x onerror=__xss(${n})>`,
  (n) => `&lt;script&gt;__xss(${n})&lt;/script&gt; &#x3C;img src=x onerror=__xss(${n})&#x3E;`,
  (n) =>
    fillTo(
      `<svg><animate onbegin=__xss(${n}) attributeName=x dur=1s>`,
      LIMITS.titleMax,
      `<img src=x onerror=__xss(${n})>`,
    ),
];

/** Typed in the victim's own composer (which trims). Numbered 301.. */
const COMPOSER_PAYLOADS: Payload[] = [
  (n) => `<img src=x onerror=__xss(${n})>`,
  (n) => `[x](javascript:alert(${n}))`,
  (n) => `javascript:__xss(${n}) https://example.com/ok${n}`,
];

const numbered = (list: Payload[], from: number) => list.map((p, i) => p(from + i));
const messages = numbered(MESSAGE_PAYLOADS, 1);
const names = numbered(NAME_PAYLOADS, 101).map((s) => s.trim());
const titles = numbered(TITLE_PAYLOADS, 201).map((s) => s.trim());
const typed = numbered(COMPOSER_PAYLOADS, 301);

/**
 * Runs in the page: what user content could have turned into markup. The app itself renders no
 * such elements, no `on*` attributes, no script URLs, and links only inside message text.
 */
function domProblems(): string[] {
  const doc = (globalThis as any).document;
  const problems: string[] = [];
  const show = (el: any) => String(el.outerHTML).slice(0, 160);
  const scriptUrl = /^(javascript|data|vbscript):/i;
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'srcset'];
  for (const el of doc.body.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = String(a.name).toLowerCase();
      if (name.startsWith('on')) problems.push(`event handler attribute ${name}: ${show(el)}`);
      if (name === 'srcdoc') problems.push(`srcdoc: ${show(el)}`);
      // Browsers ignore whitespace and control characters in a scheme: so does this check.
      if (
        urlAttrs.includes(name) &&
        scriptUrl.test([...String(a.value)].filter((c) => c.charCodeAt(0) > 0x20).join(''))
      )
        problems.push(`script URL in ${name}: ${show(el)}`);
    }
  }
  const forbidden =
    'script, iframe, frame, frameset, object, embed, applet, img, image, picture, source, video, audio, style, link, meta, base, math, template, marquee, details, noscript, xmp, isindex, animate, set, foreignObject, use';
  for (const el of doc.body.querySelectorAll(forbidden)) problems.push(`element from user content: ${show(el)}`);
  // The app's own scripts: only the built bundle, from this origin.
  for (const s of doc.querySelectorAll('script')) {
    const src = String(s.getAttribute('src') ?? '');
    if (!src.startsWith('/assets/')) problems.push(`script not from the bundle: ${show(s)}`);
  }
  for (const a of doc.querySelectorAll('a')) {
    const href = a.getAttribute('href');
    if (href === null) continue;
    if (!/^(https?:|mailto:)/i.test(href)) problems.push(`link that is not http(s) or mailto: ${show(a)}`);
    if (!a.closest('[data-testid="message-text"]')) problems.push(`link outside a message: ${show(a)}`);
    if (!/\bnoopener\b/.test(String(a.getAttribute('rel') ?? ''))) problems.push(`link without noopener: ${show(a)}`);
  }
  if (doc.title !== 'Chatify') problems.push(`document.title changed: ${doc.title}`);
  return problems;
}

/**
 * Runs in the page: reads the rendered message texts and sender names, then scrolls the message
 * list by `screens` (negative: up) and waits two frames so the virtualized list renders the rows.
 */
async function readAndScroll(screens: number) {
  const g = globalThis as any;
  const doc = g.document;
  const texts = [...doc.querySelectorAll('[data-testid="message-text"]')].map((e: any) => String(e.textContent));
  const senders = [...doc.querySelectorAll('[data-testid="their-message"] [data-testid="sender-name"]')].map((e: any) =>
    String(e.textContent),
  );
  const scroller = doc.querySelector('section [data-testid="virtuoso-scroller"]');
  const atTop = scroller.scrollTop <= 0;
  const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
  scroller.scrollTop += Math.round(scroller.clientHeight * screens);
  for (let i = 0; i < 2; i++) await new Promise((r) => g.requestAnimationFrame(r));
  return { texts, senders, atTop, atBottom };
}

interface ApiUser {
  id: string;
  username: string;
  token: string;
}

async function api<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.ok, `${method} ${path} -> ${res.status} ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

async function register(username: string): Promise<ApiUser> {
  const body = await api<{ token: string; user: { id: string } }>('POST', '/api/auth/register', null, {
    username,
    email: `${username}@example.test`,
    password: 'correct horse battery',
    display_name: username,
  });
  return { id: body.user.id, username, token: body.token };
}

const post = (from: ApiUser, conversationId: string, content: string) =>
  api('POST', `/api/conversations/${conversationId}/messages`, from.token, {
    content,
    message_type: 'text',
    client_id: randomUUID(),
  });

test('an XSS corpus in messages, names and titles renders as text and runs nothing', async ({ browser }, info) => {
  test.setTimeout(90_000);
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

  await page.getByRole('button', { name: 'Members' }).click();
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
    await page.getByRole('button', { name: 'Members' }).click();
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

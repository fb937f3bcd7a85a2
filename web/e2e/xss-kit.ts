/** xss.spec.ts's shared parts: what runs in the victim's page, and the attackers' REST calls. */
import { expect } from '@playwright/test';
import { randomUUID } from 'node:crypto';

/**
 * Runs in the page: what user content could have turned into markup. The app itself renders no
 * such elements, no `on*` attributes, no script URLs, and links only inside message text.
 */
export function domProblems(): string[] {
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
  // The app's own title: "Chatify", after the number of chats with unread messages, if any.
  if (!/^(\(\d+\) )?Chatify$/.test(doc.title)) problems.push(`document.title changed: ${doc.title}`);
  return problems;
}

/**
 * Runs in the page: reads the rendered message texts and sender names, then scrolls the message
 * list by `screens` (negative: up) and waits two frames so the virtualized list renders the rows.
 */
export async function readAndScroll(screens: number) {
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

export interface ApiUser {
  id: string;
  username: string;
  token: string;
}

/** The REST calls the attackers make, against the server at `base`. */
export function restApi(base: string) {
  async function api<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, {
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

  return { api, register, post };
}

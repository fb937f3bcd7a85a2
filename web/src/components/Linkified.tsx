import { Fragment } from 'react';

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"']*[^\s<>"'.,;:!?)\]]/gi;

/**
 * Text cut into plain runs and links: http(s) URLs, and addresses written from `www.` (which
 * open over https). Only those two forms: a link never gets another scheme (javascript:, data:).
 */
export function linkParts(text: string): (string | { url: string; href: string })[] {
  const parts: (string | { url: string; href: string })[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const url = m[0];
    parts.push({ url, href: /^www\./i.test(url) ? `https://${url}` : url });
    last = m.index + url.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Message text as text (React escapes it), with its web addresses as safe links. Never HTML. */
export function Linkified({ text }: { text: string }) {
  return (
    <>
      {linkParts(text).map((p, i) =>
        typeof p === 'string' ? (
          <Fragment key={i}>{p}</Fragment>
        ) : (
          <a
            key={i}
            href={p.href}
            target="_blank"
            rel="noopener noreferrer"
            className="underline [overflow-wrap:anywhere]"
          >
            {p.url}
          </a>
        ),
      )}
    </>
  );
}

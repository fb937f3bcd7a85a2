/**
 * The XSS corpus for xss.spec.ts: payloads for message contents, display names, group titles and
 * the victim's composer. Every payload that could execute calls a sentinel, `__xss(n)` or
 * `alert(n)`, with its own number, so a failure names the payload that ran.
 */
import { LIMITS } from '../../protocol/limits.js';

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
export const messages = numbered(MESSAGE_PAYLOADS, 1);
export const names = numbered(NAME_PAYLOADS, 101).map((s) => s.trim());
export const titles = numbered(TITLE_PAYLOADS, 201).map((s) => s.trim());
export const typed = numbered(COMPOSER_PAYLOADS, 301);

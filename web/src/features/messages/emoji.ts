import { graphemes } from '../../../../protocol/text.js';
/** Up to this many emoji and nothing else make a message shown large, as in WhatsApp, Telegram and Signal. */
export const JUMBO_MAX = 3;

/**
 * A grapheme drawn as an emoji: one with a character of emoji presentation (😀, 👍🏽, 👨‍👩‍👧), one
 * asked to be drawn as emoji (❤️: U+FE0F), a flag (two regional indicators) or a keycap (1️⃣).
 * Not a character that is text by default and only may be an emoji (©, ™, ☺ without U+FE0F).
 */
const EMOJI = /\p{Emoji_Presentation}|\uFE0F|\p{Regional_Indicator}|\u20E3/u;
const SPACE = /^\s+$/u;

/** How many emoji a message is when it is only emoji (spaces between allowed), up to JUMBO_MAX; else 0. */
export function jumboEmoji(text: string): number {
  const t = text.trim();
  // Three emoji with spaces between are well under a hundred code units (a kiss with two skin
  // tones is 15, a subdivision flag 14); the loop stops at the first other character anyway.
  if (t.length === 0 || t.length > 100) return 0;
  let n = 0;
  for (const { segment } of graphemes.segment(t)) {
    if (SPACE.test(segment)) continue;
    if (!EMOJI.test(segment) || ++n > JUMBO_MAX) return 0;
  }
  return n;
}

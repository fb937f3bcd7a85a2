/**
 * Checks on text from clients, shared by server and web client.
 *
 * `hasText`: something a reader can see. Whitespace and the invisible characters (zero-width
 * space and joiner, U+FEFF, variation selectors, bidi marks: Unicode's default-ignorable code
 * points; the blank braille pattern) alone are no message, no name and no title.
 *
 * `wellFormed`: no lone surrogate (a JSON string may hold `"\ud83d"` alone). PostgreSQL stores
 * text as UTF-8, which cannot hold one, so the driver would store U+FFFD instead while the
 * live event carried the original: the history and the live view would differ.
 */
export const hasText = (s: string) => /[^\s\p{Default_Ignorable_Code_Point}\u2800]/u.test(s);
export const wellFormed = (s: string) => !/\p{Surrogate}/u.test(s);
/** Lone surrogates (half an emoji, cut by an edit) as U+FFFD, as a UTF-8 encoder writes them. */
export const toWellFormed = (s: string) => s.replace(/\p{Surrogate}/gu, '\uFFFD');

export const NO_TEXT = 'must not be empty';
export const NOT_WELL_FORMED = 'must be valid Unicode text (it holds a lone surrogate)';

/** Graphemes: what a reader sees as one character or one emoji (a flag, a family, a keycap). */
export const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** One grapheme. */
export const oneGrapheme = (s: string) => {
  const it = graphemes.segment(s)[Symbol.iterator]();
  return !it.next().done && it.next().done === true;
};

import { describe, expect, it } from 'vitest';
import { jumboEmoji } from './emoji';

describe('jumboEmoji', () => {
  it('counts a message of one to three emoji, spaces allowed', () => {
    expect(jumboEmoji('😀')).toBe(1);
    expect(jumboEmoji(' 🎉 ')).toBe(1);
    expect(jumboEmoji('😀🎉')).toBe(2);
    expect(jumboEmoji('👍 ❤️ 🔥')).toBe(3);
  });

  it('takes a sequence drawn as one emoji as one', () => {
    expect(jumboEmoji('👍🏽')).toBe(1); // with a skin tone
    expect(jumboEmoji('👨‍👩‍👧‍👦')).toBe(1); // a family, joined by ZWJ
    expect(jumboEmoji('🇫🇷🇯🇵')).toBe(2); // flags
    expect(jumboEmoji('1️⃣')).toBe(1); // a keycap
    expect(jumboEmoji('❤️')).toBe(1); // text by default, asked to be an emoji
    expect(jumboEmoji('👩🏻‍❤️‍💋‍👨🏼 🏴󠁧󠁢󠁳󠁣󠁴󠁿\n👩🏻‍❤️‍💋‍👨🏼')).toBe(3); // long sequences (15 and 14 code units), a line break
  });

  it('leaves text, long runs and text-style symbols alone', () => {
    expect(jumboEmoji('')).toBe(0);
    expect(jumboEmoji('   ')).toBe(0);
    expect(jumboEmoji('ok 👍')).toBe(0);
    expect(jumboEmoji('👍!')).toBe(0);
    expect(jumboEmoji('1')).toBe(0);
    expect(jumboEmoji('©')).toBe(0);
    expect(jumboEmoji('☺')).toBe(0);
    expect(jumboEmoji('😀😀😀😀')).toBe(0);
    expect(jumboEmoji(':)')).toBe(0);
  });
});

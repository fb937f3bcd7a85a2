import { useRef, useState } from 'react';
import { SmileIcon } from '../../components/Icons';
import { useDismiss } from '../../components/useDismiss';

/** The emoji offered, roughly the most used in chat first, each with its name (read out, and shown on hover). */
export const PICKER_EMOJI: readonly (readonly [emoji: string, name: string])[] = [
  ['😂', 'face with tears of joy'],
  ['❤️', 'red heart'],
  ['😍', 'smiling face with heart-eyes'],
  ['🤣', 'rolling on the floor laughing'],
  ['😊', 'smiling face with smiling eyes'],
  ['🙏', 'folded hands'],
  ['😭', 'loudly crying face'],
  ['😘', 'face blowing a kiss'],
  ['👍', 'thumbs up'],
  ['😅', 'grinning face with sweat'],
  ['👏', 'clapping hands'],
  ['😁', 'beaming face with smiling eyes'],
  ['🔥', 'fire'],
  ['🥰', 'smiling face with hearts'],
  ['💔', 'broken heart'],
  ['😢', 'crying face'],
  ['🤔', 'thinking face'],
  ['😆', 'grinning squinting face'],
  ['🙄', 'face with rolling eyes'],
  ['💪', 'flexed biceps'],
  ['😉', 'winking face'],
  ['👌', 'OK hand'],
  ['🤗', 'smiling face with open hands'],
  ['😔', 'pensive face'],
  ['😎', 'smiling face with sunglasses'],
  ['😇', 'smiling face with halo'],
  ['🎉', 'party popper'],
  ['🤦', 'person facepalming'],
  ['✨', 'sparkles'],
  ['🤷', 'person shrugging'],
  ['😱', 'face screaming in fear'],
  ['🙌', 'raising hands'],
  ['😋', 'face savoring food'],
  ['😏', 'smirking face'],
  ['🙂', 'slightly smiling face'],
  ['🤩', 'star-struck'],
  ['😀', 'grinning face'],
  ['💯', 'hundred points'],
  ['🙈', 'see-no-evil monkey'],
  ['😒', 'unamused face'],
  ['🤭', 'face with hand over mouth'],
  ['😴', 'sleeping face'],
  ['😮', 'face with open mouth'],
  ['🥳', 'partying face'],
  ['👋', 'waving hand'],
  ['✅', 'check mark button'],
  ['☕', 'hot beverage'],
  ['🍕', 'pizza'],
];

/**
 * The composer's emoji button and its panel: a click on an emoji puts it where the text
 * cursor is (`onPick`), and the panel stays open for more. Escape closes it and gives focus back
 * to the button; a click elsewhere closes it.
 */
export function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useDismiss(open, ref, (how) => {
    setOpen(false);
    if (how === 'escape') button.current?.focus();
  });
  return (
    <div className="relative shrink-0" ref={ref}>
      <button
        ref={button}
        type="button"
        aria-label="Emoji"
        title="Emoji"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex h-11 w-10 items-center justify-center rounded-full text-neutral-600 hover:bg-neutral-100 dark:text-neutral-300 dark:hover:bg-neutral-800"
      >
        <SmileIcon />
      </button>
      {open && (
        <div
          role="dialog"
          aria-label="Emoji"
          className="absolute bottom-full left-0 z-20 mb-2 grid w-[18.5rem] grid-cols-8 gap-0.5 rounded-2xl border border-neutral-200 bg-white p-2 shadow-lg dark:border-neutral-700 dark:bg-neutral-800"
        >
          {PICKER_EMOJI.map(([emoji, name]) => (
            <button
              key={emoji}
              type="button"
              aria-label={name}
              title={name}
              // The text box keeps its focus and its cursor.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => onPick(emoji)}
              className="flex h-8 w-8 items-center justify-center rounded-lg text-[22px] leading-none hover:bg-neutral-100 dark:hover:bg-neutral-700"
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

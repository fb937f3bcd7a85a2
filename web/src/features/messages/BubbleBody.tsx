import type { ReactNode } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import type { Attachment, ReplyPreview } from '../../../../protocol/messages.js';
import { isImageType } from '../../../../protocol/uploads.js';
import { Linkified } from '../../components/Linkified';
import { textDir } from '../../components/format';
import { FileCard, fitImage, ImagePreview } from './Attachments';
import { ReplyQuote } from './ReplyQuote';
import { jumboEmoji } from './emoji';
import { useFitBubble } from './fitBubble';

/** A message of only emoji, by how many: one is drawn largest. */
const JUMBO_SIZE = ['', 'text-[44px]', 'text-[36px]', 'text-[30px]'];

/** Emoji as they are, the spaces between them in the text font (see `.emoji-jumbo`). */
const spacedInTextFont = (text: string) =>
  text.split(/(\s+)/u).map((part, i) =>
    i % 2 ? (
      <span key={i} className="emoji-space">
        {part}
      </span>
    ) : (
      part
    ),
  );

/**
 * What a bubble holds: the quote it answers, its image or file, its text (or caption), and the
 * time and ticks (`meta`) in the corner: floated after text, or over an image without a caption.
 */
export function BubbleBody({
  c,
  myId,
  own,
  content,
  attachment,
  replyTo,
  meta,
  hasName,
}: {
  c: Conversation;
  myId: string;
  own: boolean;
  content: string;
  attachment: Attachment | null;
  replyTo: ReplyPreview | null;
  meta: ReactNode;
  hasName: boolean;
}) {
  const fit = useFitBubble();
  const metaClass = `inline-flex items-center gap-1 text-[11px] leading-none whitespace-nowrap ${own ? 'text-white/90' : 'text-neutral-500 dark:text-neutral-400'}`;
  // Arabic or Hebrew: its letters in their order (dir="auto" isolates them from the bubble's
  // left-to-right) and its lines from the right (the box's `align`, below).
  const text = content ? (
    <span className="break-words whitespace-pre-wrap" data-testid="message-text" dir="auto">
      <Linkified text={content} />
    </span>
  ) : null;
  const align = content && textDir(content) === 'rtl' ? 'text-right' : '';
  const quote = replyTo && <ReplyQuote q={replyTo} c={c} myId={myId} own={own} />;

  const jumbo = attachment ? 0 : jumboEmoji(content);
  if (jumbo) {
    // Large, with the time and ticks beside the last emoji's foot.
    return (
      <div className={`flex items-end gap-2 px-3 pb-1.5 ${hasName ? 'pt-0.5' : 'pt-1'}`}>
        <div className="min-w-0">
          {quote}
          <span
            className={`emoji-jumbo block break-words whitespace-pre-wrap ${JUMBO_SIZE[jumbo]}`}
            data-testid="message-text"
            data-jumbo={jumbo}
          >
            {spacedInTextFont(content.trim())}
          </span>
        </div>
        <span className={`mb-1 ${metaClass}`}>{meta}</span>
      </div>
    );
  }
  if (!attachment) {
    return (
      <div ref={fit} className={`px-3 pb-1.5 ${hasName ? 'pt-0.5' : 'pt-1.5'} ${align}`}>
        {quote}
        {text}
        <span data-meta className={`float-right mt-1.5 ml-2 ${metaClass}`}>
          {meta}
        </span>
      </div>
    );
  }
  const image = isImageType(attachment.content_type);
  // A photo's caption wraps at the photo's width (a long caption does not widen the bubble
  // past it and leave a blank strip beside the photo); a very narrow photo gets a readable
  // caption width and sits in the middle.
  const width = image && text ? Math.max(fitImage(attachment.width, attachment.height).width, 160) + 8 : undefined;
  // A photo narrower than its time and ticks: they go under it, as under a file, not over it.
  const narrow = image && !text && fitImage(attachment.width, attachment.height).width < 112;
  return (
    <div className={image ? 'max-w-full p-1' : 'p-1.5'} style={width ? { width } : undefined}>
      {quote}
      {image ? (
        <div className="relative flex justify-center">
          <ImagePreview a={attachment} label={content || attachment.filename} />
          {!text && !narrow && (
            <span className="pointer-events-none absolute right-1.5 bottom-1.5 inline-flex items-center gap-1 rounded-full bg-black/50 px-1.5 py-1 text-[11px] leading-none whitespace-nowrap text-white">
              {meta}
            </span>
          )}
        </div>
      ) : (
        <FileCard a={attachment} own={own} />
      )}
      {text ? (
        <div className={`${image ? 'px-2 pt-1 pb-0.5' : 'px-1.5 pt-1'} ${align}`}>
          {text}
          <span className={`float-right mt-1.5 ml-2 ${metaClass}`}>{meta}</span>
        </div>
      ) : (
        (!image || narrow) && (
          <div className="flex justify-end px-1.5 pt-1">
            <span className={metaClass}>{meta}</span>
          </div>
        )
      )}
    </div>
  );
}

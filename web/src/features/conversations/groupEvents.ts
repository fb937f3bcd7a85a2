import { GroupEvent } from '../../../../protocol/messages.js';

/** "A", "A and B", "A, B and C", "A, B and 3 others". */
function listOf(names: string[]): string {
  if (names.length > 3) return `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
  if (names.length <= 1) return names[0] ?? 'someone';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * How a change to a group (an `event` message, by `senderId`) reads in the thread and the
 * list: "Alice added Bob and you", "You removed Bob", "Bob left", "Alice renamed the group to “Trip”".
 * `nameOf`: a person's name (the conversation's `nameOf`).
 */
export function eventText(content: string, senderId: string, myId: string, nameOf: (id: string) => string): string {
  let parsed: ReturnType<typeof GroupEvent.safeParse>;
  try {
    parsed = GroupEvent.safeParse(JSON.parse(content));
  } catch {
    return 'The group was changed';
  }
  if (!parsed.success) return 'The group was changed';
  const e = parsed.data;
  const actor = senderId === myId ? 'You' : nameOf(senderId);
  const people = (ids: string[]) => listOf(ids.map((id) => (id === myId ? 'you' : nameOf(id))));
  switch (e.event) {
    case 'added':
      return `${actor} added ${people(e.user_ids)}`;
    case 'removed':
      return `${actor} removed ${people(e.user_ids)}`;
    case 'left':
      return `${actor} left`;
    case 'renamed':
      return `${actor} renamed the group to “${e.title}”`;
    case 'photo':
      return `${actor} changed the group photo`;
    case 'photo_removed':
      return `${actor} removed the group photo`;
  }
}

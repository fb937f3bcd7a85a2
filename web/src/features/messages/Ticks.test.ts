import { describe, expect, it } from 'vitest';
import { tickState } from './Ticks';

const member = (id: string, delivered: number, read: number) => ({
  id,
  username: id,
  display_name: id.toUpperCase(),
  role: 'member' as const,
  online: false,
  avatar_id: null,
  last_seen_at: null,
  delivered_seq: delivered,
  read_seq: read,
});

describe('tickState', () => {
  it('goes sent -> delivered -> read as the other member’s watermarks pass the message', () => {
    expect(tickState(5, [member('me', 5, 5), member('bob', 4, 4)], 'me').state).toBe('sent');
    expect(tickState(5, [member('me', 5, 5), member('bob', 5, 4)], 'me').state).toBe('delivered');
    expect(tickState(5, [member('me', 5, 5), member('bob', 9, 5)], 'me').state).toBe('read');
  });

  it('in a group, is read only when everyone read it, and says who did', () => {
    const members = [member('me', 7, 7), member('ann', 7, 7), member('ben', 7, 3)];
    expect(tickState(7, members, 'me')).toEqual({ state: 'delivered', readBy: ['ANN'] });
    expect(tickState(3, members, 'me')).toEqual({ state: 'read', readBy: ['ANN', 'BEN'] });
  });
});

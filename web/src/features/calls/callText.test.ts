import { describe, expect, it } from 'vitest';
import { callMissed, callStartedAt, callText, listText } from './callText';

const c = (o: object) => JSON.stringify(o);

describe('callText', () => {
  it('reads like a messenger', () => {
    expect(callText(c({ media: 'video', state: 'missed' }), false)).toBe('Missed video call');
    expect(callText(c({ media: 'audio', state: 'ended', duration_seconds: 272 }), true)).toBe('Voice call · 4:32');
    expect(callText(c({ media: 'audio', state: 'declined' }), true)).toBe('Voice call declined');
    expect(callText(c({ media: 'video', state: 'cancelled' }), false)).toBe('Missed video call');
    expect(callText(c({ media: 'audio', state: 'busy' }), true)).toBe('Voice call, busy');
    expect(callText(c({ media: 'audio', state: 'busy' }), false)).toBe('Missed voice call');
    expect(callText('not json', true)).toBe('Call');
  });
});

describe('listText', () => {
  it('says whether a call is still going on, from this device’s own call first', () => {
    expect(listText({ media: 'audio', state: 'ringing' }, false, null)).toBe('Voice call, ringing');
    expect(listText({ media: 'video', state: 'accepted' }, true, null)).toBe('Video call, in progress');
    // Answered here a moment ago; the list still has it ringing.
    expect(listText({ media: 'audio', state: 'ringing' }, false, 'connecting')).toBe('Voice call, in progress');
    expect(listText({ media: 'audio', state: 'ringing' }, true, 'connected')).toBe('Voice call, in progress');
    expect(listText({ media: 'audio', state: 'declined' }, true, null)).toBe('Voice call declined');
  });
});

describe('callMissed', () => {
  it('is a call to me never picked up, from a call message’s content', () => {
    expect(callMissed(c({ media: 'video', state: 'cancelled' }), false)).toBe(true);
    expect(callMissed(c({ media: 'video', state: 'cancelled' }), true)).toBe(false);
    expect(callMissed(c({ media: 'audio', state: 'declined' }), false)).toBe(false);
    expect(callMissed(c({ media: 'audio', state: 'ended', duration_seconds: 3 }), false)).toBe(false);
    expect(callMissed('not json', false)).toBe(false);
  });
});

describe('callStartedAt', () => {
  it('is when the call began, or the message’s own time for a call stored without it', () => {
    const ended = '2026-12-07T21:40:00.000Z';
    expect(callStartedAt(c({ state: 'ended', started_at: '2026-12-07T21:00:00.000Z' }), ended)).toBe(
      '2026-12-07T21:00:00.000Z',
    );
    expect(callStartedAt(c({ state: 'ended' }), ended)).toBe(ended);
    expect(callStartedAt(c({ started_at: 'soon' }), ended)).toBe(ended);
    expect(callStartedAt('not json', ended)).toBe(ended);
  });
});

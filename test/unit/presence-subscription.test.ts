import type { PresenceChange } from '../../src/events/shared-bus';
import {
  parseChannelData,
  PresenceSubscription,
} from '../../src/realtime/pusher-endpoint/presence-subscription';

let version = 0;
const change = (member: string, present: boolean): PresenceChange => ({
  group: 'presence-Chat.User.5',
  member,
  present,
  info: present ? JSON.stringify({ name: `user ${member}` }) : '',
  at: new Date(0).toISOString(),
  version: ++version,
});

const me = { userId: '7', userInfo: JSON.stringify({ name: 'me' }) };

describe('PresenceSubscription', () => {
  it('replays changes that arrived before the member list against it: nothing twice, nothing stale', () => {
    const subscription = new PresenceSubscription(me);
    expect(subscription.change(change('5', true))).toBeUndefined();
    expect(subscription.change(change('8', false))).toBeUndefined();
    const members = new Map([
      ['5', JSON.stringify({ name: 'user 5' })],
      ['7', me.userInfo],
    ]);
    const { data, then } = subscription.succeeded(members);
    expect(JSON.parse(data)).toEqual({
      presence: { ids: ['5', '7'], hash: { 5: { name: 'user 5' }, 7: { name: 'me' } }, count: 2 },
    });
    // 5 is listed already and 8 never was: neither gives a frame.
    expect(then).toEqual([]);
    expect(subscription.change(change('5', false))).toEqual({
      event: 'pusher_internal:member_removed',
      data: JSON.stringify({ user_id: '5' }),
    });
    expect(subscription.change(change('5', false))).toBeUndefined();
    expect(subscription.change(change('5', true))?.event).toBe('pusher_internal:member_added');
  });

  it('never tells a socket about its own user, and shows only the members allowed', () => {
    const subscription = new PresenceSubscription(me, (member) => member === '5');
    const { data } = subscription.succeeded(
      new Map([
        ['5', '{}'],
        ['6', '{}'],
        ['7', me.userInfo],
      ]),
    );
    expect(JSON.parse(data).presence.ids).toEqual(['5', '7']);
    expect(subscription.change(change('7', false))).toBeUndefined();
    expect(subscription.change(change('6', false))).toBeUndefined();
    expect(subscription.change(change('9', true))).toBeUndefined();
  });
});

describe('parseChannelData', () => {
  it('reads user_id (a string or a number) and user_info', () => {
    expect(parseChannelData('{"user_id":"5","user_info":{"name":"Ann"}}')).toEqual({
      userId: '5',
      userInfo: '{"name":"Ann"}',
    });
    expect(parseChannelData('{"user_id":5}')).toEqual({ userId: '5', userInfo: 'null' });
  });

  it('refuses anything else', () => {
    for (const bad of [
      undefined,
      5,
      'not json',
      '[]',
      '{}',
      '{"user_id":""}',
      '{"user_id":{}}',
      'x'.repeat(20000),
    ]) {
      expect(parseChannelData(bad)).toBeUndefined();
    }
  });
});

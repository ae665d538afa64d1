import { channelOwner, channelsOf, RealtimeEventName } from '../../src/events/realtime-event';
import { laravelTimestamp } from '../../src/events/legacy-model';

describe('laravelTimestamp', () => {
  it('writes UTC with six fractional digits, as Laravel serialized dates', () => {
    expect(laravelTimestamp(new Date('2021-12-11T13:30:17Z'))).toBe('2021-12-11T13:30:17.000000Z');
    expect(laravelTimestamp(new Date('2021-12-11T13:30:17.123Z'))).toBe('2021-12-11T13:30:17.123000Z');
  });
});

describe('channels', () => {
  it('names one private channel per recipient', () => {
    expect(channelsOf({ name: RealtimeEventName.MESSAGE_UPDATED, recipientIds: [3, 7] })).toEqual([
      'private-MessageChannel.User.3',
      'private-MessageChannel.User.7',
    ]);
    expect(channelsOf({ name: RealtimeEventName.NOTIFICATION_CREATED, recipientIds: [5] })).toEqual([
      'private-NotificationChannel.User.5',
    ]);
  });

  it('knows the owner of our channels only', () => {
    expect(channelOwner('private-MessageChannel.User.42')).toBe(42);
    expect(channelOwner('private-NotificationChannel.User.7')).toBe(7);
    for (const other of [
      'private-MessageChannel.User.0',
      'private-MessageChannel.User.42x',
      'private-Other.User.42',
      'MessageChannel.User.42',
      'presence-MessageChannel.User.42',
    ]) {
      expect(channelOwner(other)).toBeUndefined();
    }
  });
});

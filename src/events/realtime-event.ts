/** The legacy Pusher event names; GraphQL subscriptions mirror them one to one. */
export enum RealtimeEventName {
  MESSAGE_CREATED = 'MessageCreated',
  MESSAGE_UPDATED = 'MessageUpdated',
  NOTIFICATION_CREATED = 'NotificationCreated',
  NOTIFICATION_UPDATED = 'NotificationUpdated',
}

/**
 * One committed change, ready to deliver: plain JSON, since it crosses Redis between instances.
 * `payload` is the exact Pusher event data, `{"model": {...}, "connection": null, "queue": null}`.
 */
export interface RealtimeEvent {
  readonly id: string;
  readonly name: RealtimeEventName;
  readonly recipientIds: readonly number[];
  readonly payload: string;
}

const CHANNEL_PREFIX: Record<RealtimeEventName, string> = {
  [RealtimeEventName.MESSAGE_CREATED]: 'private-MessageChannel.User.',
  [RealtimeEventName.MESSAGE_UPDATED]: 'private-MessageChannel.User.',
  [RealtimeEventName.NOTIFICATION_CREATED]: 'private-NotificationChannel.User.',
  [RealtimeEventName.NOTIFICATION_UPDATED]: 'private-NotificationChannel.User.',
};

/** The private Pusher channels an event goes to: one per recipient. */
export function channelsOf(event: Pick<RealtimeEvent, 'name' | 'recipientIds'>): string[] {
  return event.recipientIds.map((id) => `${CHANNEL_PREFIX[event.name]}${id}`);
}

/** The user a private channel belongs to, or undefined when the name is not one of ours. */
export function channelOwner(channel: string): number | undefined {
  const match = /^private-(?:MessageChannel|NotificationChannel)\.User\.([1-9]\d{0,9})$/.exec(channel);
  return match ? Number(match[1]) : undefined;
}

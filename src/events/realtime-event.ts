/** The legacy Pusher event names; GraphQL subscriptions mirror them one to one. */
export enum RealtimeEventName {
  MESSAGE_CREATED = 'MessageCreated',
  MESSAGE_UPDATED = 'MessageUpdated',
  NOTIFICATION_CREATED = 'NotificationCreated',
  NOTIFICATION_UPDATED = 'NotificationUpdated',
  /** New clients' addition: a user's unread counts changed. Not replayed: only the latest counts matter. */
  UNREAD_COUNTS_UPDATED = 'UnreadCountsUpdated',
}

/** The events a client that was away catches up on (`realtimeEvents`): changes to its messages and notifications. */
export const REPLAYABLE_EVENT_NAMES: readonly RealtimeEventName[] = [
  RealtimeEventName.MESSAGE_CREATED,
  RealtimeEventName.MESSAGE_UPDATED,
  RealtimeEventName.NOTIFICATION_CREATED,
  RealtimeEventName.NOTIFICATION_UPDATED,
];

/**
 * One committed change, ready to deliver: plain JSON, since it crosses Redis between instances.
 * `id` is the outbox id: per recipient, ids increase in commit order. `payload` is the exact Pusher event data,
 * `{"model": {...}, "connection": null, "queue": null}`.
 */
export interface RealtimeEvent {
  readonly id: string;
  readonly name: RealtimeEventName;
  readonly recipientIds: readonly number[];
  readonly payload: string;
  /** When the change was committed (ISO 8601); absent from events built by older instances. */
  readonly createdAt?: string;
}

const CHANNEL_PREFIX: Record<RealtimeEventName, string> = {
  [RealtimeEventName.MESSAGE_CREATED]: 'private-MessageChannel.User.',
  [RealtimeEventName.MESSAGE_UPDATED]: 'private-MessageChannel.User.',
  [RealtimeEventName.NOTIFICATION_CREATED]: 'private-NotificationChannel.User.',
  [RealtimeEventName.NOTIFICATION_UPDATED]: 'private-NotificationChannel.User.',
  [RealtimeEventName.UNREAD_COUNTS_UPDATED]: 'private-MessageChannel.User.',
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

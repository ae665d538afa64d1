import { type EntityManager, EventSubscriber } from 'typeorm';
import { Notification } from '../entities/notification';
import { RealtimeEventName } from '../events/realtime-event';
import { updateInBulk } from './bulk-update-staging';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

// The columns the receiver's unread counts depend on.
const COUNTED_COLUMNS = ['status', 'receiver_id'];

const updatedFor = (notification: Notification): number[] => [notification.receiverId];

/** NotificationCreated and, when a value changed, NotificationUpdated go to the receiver. */
@EventSubscriber()
export class NotificationSubscriber extends OutboxEntitySubscriber<Notification> {
  protected readonly created = RealtimeEventName.NOTIFICATION_CREATED;
  protected readonly updated = RealtimeEventName.NOTIFICATION_UPDATED;

  listenTo() {
    return Notification;
  }

  protected createdFor(notification: Notification): number[] {
    return [notification.receiverId];
  }

  protected updatedFor(notification: Notification): number[] {
    return updatedFor(notification);
  }

  protected unreadCountsOf(
    changed: readonly string[] | 'inserted',
    before: Notification | undefined,
    after: Notification,
  ): number[] {
    if (changed !== 'inserted' && !changed.some((column) => COUNTED_COLUMNS.includes(column))) return [];
    return [...new Set([before?.receiverId ?? after.receiverId, after.receiverId])];
  }
}

/**
 * A set-based update of notifications (`changed` as `updateInBulk` takes it) with the events the subscriber stages
 * for a save() of each changed row: NotificationUpdated to its receiver, and the receiver's counts checked.
 */
export function updateNotificationsInBulk(
  manager: EntityManager,
  changed: string,
  parameters: readonly unknown[],
): Promise<number> {
  return updateInBulk(manager, {
    target: Notification,
    name: RealtimeEventName.NOTIFICATION_UPDATED,
    changed,
    parameters,
    recipients: 'ARRAY[receiver_id]',
    countsOf: 'receiver_id',
  });
}

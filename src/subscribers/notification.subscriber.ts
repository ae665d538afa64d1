import { EventSubscriber, type EntitySubscriberInterface, type InsertEvent, type UpdateEvent } from 'typeorm';
import { Notification } from '../entities/notification';
import { RealtimeEventName } from '../events/realtime-event';
import { changedColumns } from './changed-columns';
import { stageEvent } from './outbox-staging';

/** NotificationCreated and, when a value changed, NotificationUpdated go to the receiver. */
@EventSubscriber()
export class NotificationSubscriber implements EntitySubscriberInterface<Notification> {
  listenTo() {
    return Notification;
  }

  async afterInsert(event: InsertEvent<Notification>): Promise<void> {
    const notification = event.entity;
    await stageEvent(
      event.manager,
      event.queryRunner,
      RealtimeEventName.NOTIFICATION_CREATED,
      event.metadata,
      notification,
      [notification.receiverId],
    );
  }

  async afterUpdate(event: UpdateEvent<Notification>): Promise<void> {
    const before = event.databaseEntity;
    const after = event.entity as Notification | undefined;
    if (!before || !after || changedColumns(event.metadata, before, after).length === 0) return;
    await stageEvent(
      event.manager,
      event.queryRunner,
      RealtimeEventName.NOTIFICATION_UPDATED,
      event.metadata,
      after,
      [after.receiverId],
    );
  }
}

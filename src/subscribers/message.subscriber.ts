import { EventSubscriber, type EntitySubscriberInterface, type InsertEvent, type UpdateEvent } from 'typeorm';
import { Message } from '../entities/message';
import { RealtimeEventName } from '../events/realtime-event';
import { changedColumns } from './changed-columns';
import { stageEvent } from './outbox-staging';

/** MessageCreated goes to the receiver; MessageUpdated, when a value changed, to sender and receiver. */
@EventSubscriber()
export class MessageSubscriber implements EntitySubscriberInterface<Message> {
  listenTo() {
    return Message;
  }

  async afterInsert(event: InsertEvent<Message>): Promise<void> {
    const message = event.entity;
    await stageEvent(
      event.manager,
      event.queryRunner,
      RealtimeEventName.MESSAGE_CREATED,
      event.metadata,
      message,
      [message.receiverId],
    );
  }

  async afterUpdate(event: UpdateEvent<Message>): Promise<void> {
    const before = event.databaseEntity;
    const after = event.entity as Message | undefined;
    // Without the old row (an update() or QueryBuilder write) there is nothing to compare; services use save().
    if (!before || !after || changedColumns(event.metadata, before, after).length === 0) return;
    await stageEvent(
      event.manager,
      event.queryRunner,
      RealtimeEventName.MESSAGE_UPDATED,
      event.metadata,
      after,
      [after.senderId, after.receiverId],
    );
  }
}

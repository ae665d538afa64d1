import { type EntityManager, EventSubscriber } from 'typeorm';
import { Message } from '../entities/message';
import { RealtimeEventName } from '../events/realtime-event';
import { updateInBulk } from './bulk-update-staging';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

// The columns the receiver's unread counts depend on.
const COUNTED_COLUMNS = ['status', 'sender_id', 'receiver_id'];

const updatedFor = (message: Message): number[] => [message.senderId, message.receiverId];

/** MessageCreated goes to the receiver; MessageUpdated, when a value changed, to sender and receiver. */
@EventSubscriber()
export class MessageSubscriber extends OutboxEntitySubscriber<Message> {
  protected readonly created = RealtimeEventName.MESSAGE_CREATED;
  protected readonly updated = RealtimeEventName.MESSAGE_UPDATED;

  listenTo() {
    return Message;
  }

  protected createdFor(message: Message): number[] {
    return [message.receiverId];
  }

  protected updatedFor(message: Message): number[] {
    return updatedFor(message);
  }

  protected unreadCountsOf(
    changed: readonly string[] | 'inserted',
    before: Message | undefined,
    after: Message,
  ): number[] {
    if (changed !== 'inserted' && !changed.some((column) => COUNTED_COLUMNS.includes(column))) return [];
    return [...new Set([before?.receiverId ?? after.receiverId, after.receiverId])];
  }
}

/**
 * A set-based update of messages (`changed` as `updateInBulk` takes it) with the events the subscriber stages for a
 * save() of each changed row: MessageUpdated to its sender and receiver, and the receiver's counts checked.
 */
export function updateMessagesInBulk(
  manager: EntityManager,
  changed: string,
  parameters: readonly unknown[],
): Promise<number> {
  return updateInBulk(manager, {
    target: Message,
    name: RealtimeEventName.MESSAGE_UPDATED,
    changed,
    parameters,
    // As updatedFor, without the receiver twice in a message to oneself (legacy data may hold some).
    recipients:
      'CASE WHEN sender_id = receiver_id THEN ARRAY[sender_id] ELSE ARRAY[sender_id, receiver_id] END',
    countsOf: 'receiver_id',
  });
}

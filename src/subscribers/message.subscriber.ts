import { type EntityManager, EventSubscriber } from 'typeorm';
import { Message } from '../entities/message';
import { RealtimeEventName } from '../events/realtime-event';
import { stageBulkUpdate } from './bulk-update-staging';
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

/** The events of messages one set-based update changed (each a status change), as the subscriber stages a save(). */
export function stageMessagesUpdated(manager: EntityManager, messages: readonly Message[]): Promise<void> {
  return stageBulkUpdate(manager, {
    target: Message,
    name: RealtimeEventName.MESSAGE_UPDATED,
    rows: messages,
    recipientsOf: updatedFor,
    countsOf: [...new Set(messages.map((message) => message.receiverId))],
  });
}

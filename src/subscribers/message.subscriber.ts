import { EventSubscriber } from 'typeorm';
import { Message } from '../entities/message';
import { RealtimeEventName } from '../events/realtime-event';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

// The columns the receiver's unread counts depend on.
const COUNTED_COLUMNS = ['status', 'sender_id', 'receiver_id'];

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
    return [message.senderId, message.receiverId];
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

import { EventSubscriber } from 'typeorm';
import { Message } from '../entities/message';
import { RealtimeEventName } from '../events/realtime-event';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

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
}

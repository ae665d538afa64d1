import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('RealtimeEvent', {
  description:
    'One real-time event addressed to you: what the subscriptions and the Pusher channels delivered. Exactly one ' +
    'of message and notification is set, as the subscription of that name would have sent it.',
})
export class RealtimeEventEntry {
  @Field(() => ID, {
    description: 'Increases in commit order among your events: resume after the last you handled.',
  })
  id!: string;

  @Field({
    description:
      'The Pusher event name: MessageCreated, MessageUpdated, NotificationCreated or NotificationUpdated.',
  })
  name!: string;

  @Field({ description: 'When the change was committed.' })
  createdAt!: Date;

  @Field({
    name: 'data',
    description:
      'The Pusher event data of this event, byte for byte (JSON text): a legacy client hands JSON.parse(data) to ' +
      'the handler it binds to the Pusher event of this name.',
  })
  payload!: string;
}

@ObjectType({
  description:
    'A page of your events after an event id, oldest first. Not meant for caching (no id: a position, not an ' +
    'object); its events are cached as RealtimeEvent by id.',
})
export class RealtimeEventPage {
  @Field(() => [RealtimeEventEntry])
  events!: RealtimeEventEntry[];

  @Field({ description: 'Whether more events follow: ask again after lastId.' })
  hasMore!: boolean;

  @Field(() => ID, {
    description:
      'Where to resume: the id of the last event of the page; with no events, the id asked for; without after, ' +
      'the newest position ("0" before your first event).',
  })
  lastId!: string;
}

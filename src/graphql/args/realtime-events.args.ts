import { Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { MAX_EVENT_PAGE_SIZE } from '../../services/realtime-event.service';

@ArgsType()
export class RealtimeEventsArgs {
  @Field(() => ID, {
    nullable: true,
    description:
      'Only events after this event id: the lastId you last read, or the id of the last event you handled. ' +
      'Without it, no events and the newest lastId, to start from now.',
  })
  after?: string;

  @Field(() => Int, {
    defaultValue: MAX_EVENT_PAGE_SIZE,
    description: `Page size, 1 to ${MAX_EVENT_PAGE_SIZE}.`,
  })
  @Min(1)
  @Max(MAX_EVENT_PAGE_SIZE)
  first!: number;

  @Field(() => ID, {
    nullable: true,
    description: "Admin only: read another user's events instead of your own.",
  })
  userId?: string;
}

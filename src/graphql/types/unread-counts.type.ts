import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'What your unread badges show. Its id is your user id, so unreadCountsChanged updates the cached unreadCounts.',
})
export class UnreadCounts {
  @Field(() => ID, { description: 'The id of the user whose counts these are.' })
  id!: string;

  @Field(() => Int, { description: 'Messages sent to you that you have not seen.' })
  unseenMessages!: number;

  @Field(() => Int, { description: 'People who sent you messages you have not seen.' })
  unseenConversations!: number;

  @Field(() => Int, { description: 'Your notifications you have not seen.' })
  unseenNotifications!: number;

  @Field(() => ID, {
    nullable: true,
    description:
      'The id of the real-time event that delivered these counts (unreadCountsChanged); null in queries.',
  })
  eventId?: string;
}

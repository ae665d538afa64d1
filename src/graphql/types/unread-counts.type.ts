import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What your unread badges show.' })
export class UnreadCounts {
  @Field(() => Int, { description: 'Messages sent to you that you have not seen.' })
  unseenMessages!: number;

  @Field(() => Int, { description: 'People who sent you messages you have not seen.' })
  unseenConversations!: number;

  @Field(() => Int, { description: 'Your notifications you have not seen.' })
  unseenNotifications!: number;
}

import { Field, Int, ObjectType } from 'type-graphql';
import { Message } from '../../entities';

@ObjectType({ description: 'One of the people a user has chatted with.' })
export class ConversationSummary {
  otherUserId!: number;

  @Field(() => Message, { description: 'The newest message between the two, either way.' })
  lastMessage!: Message;

  @Field(() => Int, { description: 'Messages from the other user not yet seen.' })
  unseenCount!: number;
}

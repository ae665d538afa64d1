import { Field, Int, ObjectType } from 'type-graphql';
import { Message } from '../../entities';

@ObjectType({
  description:
    "One of the people a user has chatted with: an entry of that user's chat list. Message.conversation returns " +
    'the same entry, so a sendMessage or messageCreated that selects it updates the cached chat list.',
})
export class ConversationSummary {
  userId!: number;

  otherUserId!: number;

  @Field(() => Message, { description: 'The newest message between the two, either way.' })
  lastMessage!: Message;

  @Field(() => Int, { description: 'Messages from the other user not yet seen.' })
  unseenCount!: number;
}

import { IsOptional, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MessageStatus } from '../../entities';

// Keeps a Pusher event (its row as JSON) under Pusher's 10 KB limit for any realistic text.
export const MAX_DETAIL_LENGTH = 2000;

@InputType({
  description:
    'The message fields to change. Sender and receiver may change only status; an admin, every field.',
})
export class UpdateMessageInput {
  @Field(() => MessageStatus, { nullable: true })
  status?: MessageStatus;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, MAX_DETAIL_LENGTH)
  detail?: string;

  @Field(() => ID, { nullable: true })
  senderId?: string;

  @Field(() => ID, { nullable: true })
  receiverId?: string;
}

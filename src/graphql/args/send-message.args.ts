import { Length } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';
import { MAX_DETAIL_LENGTH } from '../inputs/update-message.input';

@ArgsType()
export class SendMessageArgs {
  @Field(() => ID)
  receiverId!: string;

  @Field({ description: `1 to ${MAX_DETAIL_LENGTH} characters.` })
  @Length(1, MAX_DETAIL_LENGTH)
  detail!: string;
}

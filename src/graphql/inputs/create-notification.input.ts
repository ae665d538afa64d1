import { ArrayMaxSize, IsOptional, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MAX_RECEIVERS } from '../../services/notification.service';
import { MAX_DETAIL_LENGTH } from './update-message.input';

@InputType({
  description: 'A notification for one receiver (receiverId) or many (receiverIds), all or none.',
})
export class CreateNotificationInput {
  @Field()
  @Length(1, 255)
  title!: string;

  @Field()
  @Length(1, MAX_DETAIL_LENGTH)
  detail!: string;

  @Field(() => ID, { nullable: true })
  receiverId?: string;

  @Field(() => [ID], { nullable: true, description: `At most ${MAX_RECEIVERS}.` })
  @IsOptional()
  @ArrayMaxSize(MAX_RECEIVERS)
  receiverIds?: string[];
}

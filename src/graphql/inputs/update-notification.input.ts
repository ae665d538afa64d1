import { IsOptional, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { NotificationStatus } from '../../entities';
import { MAX_DETAIL_LENGTH } from './update-message.input';

@InputType({
  description: 'The notification fields to change. The receiver may change only status; an admin, all.',
})
export class UpdateNotificationInput {
  @Field(() => NotificationStatus, { nullable: true })
  status?: NotificationStatus;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 255)
  title?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, MAX_DETAIL_LENGTH)
  detail?: string;

  @Field(() => ID, { nullable: true })
  receiverId?: string;
}

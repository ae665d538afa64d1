import { MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class ChangePasswordArgs {
  @Field()
  currentPassword!: string;

  @Field({ description: 'At least 8 characters.' })
  @MinLength(8)
  @MaxLength(128)
  newPassword!: string;
}

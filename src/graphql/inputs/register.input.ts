import { IsEmail, IsUrl, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { UserRole } from '../../entities';

export const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{5,30}$/;

@InputType({ description: 'A new account. Admin accounts cannot be registered.' })
export class RegisterInput {
  @Field()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(255)
  email!: string;

  @Field({ description: 'At least 8 characters.' })
  @MinLength(8)
  @MaxLength(128)
  password!: string;

  @Field()
  @Length(1, 255)
  name!: string;

  @Field({ description: 'Digits, optionally with a leading +, spaces, dashes or parentheses.' })
  @Matches(PHONE_PATTERN, { message: 'phonenumber must be a phone number' })
  phonenumber!: string;

  @Field()
  @Length(1, 255)
  address!: string;

  @Field(() => UserRole, { description: 'JOBSEEKER or EMPLOYER.' })
  role!: UserRole;

  @Field(() => String, { nullable: true })
  @IsUrl({ require_protocol: true }, { message: 'imageLink must be a URL' })
  @MaxLength(2048)
  imageLink?: string | null;
}

import { IsEmail, IsOptional, IsUrl, Length, Matches, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PHONE_PATTERN } from './register.input';

@InputType({ description: 'The profile fields to change; omitted fields stay as they are.' })
export class UpdateProfileInput {
  @Field({ nullable: true })
  @IsOptional()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(255)
  email?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 255)
  name?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Matches(PHONE_PATTERN, { message: 'phonenumber must be a phone number' })
  phonenumber?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 255)
  address?: string;

  @Field(() => String, { nullable: true, description: 'A URL, or null to remove the picture.' })
  @IsOptional()
  @IsUrl({ require_protocol: true }, { message: 'imageLink must be a URL' })
  @MaxLength(2048)
  imageLink?: string | null;
}

import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../services/paging';

@ArgsType()
export class UsersArgs {
  @Field({ nullable: true, description: 'Text found in the name, email or phone number.' })
  @IsOptional()
  @MaxLength(255)
  search?: string;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first!: number;

  @Field(() => ID, { nullable: true, description: 'The last user id of the page before.' })
  after?: string;
}

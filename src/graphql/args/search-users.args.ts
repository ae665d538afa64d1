import { Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';
import { SEARCH_LIMIT } from '../../services/user.service';

@ArgsType()
export class SearchUsersArgs {
  @Field({ description: 'Text found in the name; for an admin also in the email or phone number.' })
  @MaxLength(255)
  query!: string;

  @Field(() => Int, { defaultValue: SEARCH_LIMIT, description: `1 to ${SEARCH_LIMIT}.` })
  @Min(1)
  @Max(SEARCH_LIMIT)
  first!: number;
}

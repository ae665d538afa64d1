import { Field, Int, ObjectType } from 'type-graphql';
import { User } from '../../entities';

@ObjectType({
  description:
    'The tokens of a login. Send the access token as `Authorization: Bearer <accessToken>`. Not meant for ' +
    'caching (no id: it is stored under the mutation that returned it); its user is cached as a User.',
})
export class AuthPayload {
  @Field({ description: 'A short-lived JWT.' })
  accessToken!: string;

  @Field({ description: 'Single use: trade it for new tokens with the refreshToken mutation.' })
  refreshToken!: string;

  @Field({ description: 'Always "bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => User)
  user!: User;
}

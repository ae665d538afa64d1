import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { User } from '../../entities';
import type { AuthResult, AuthService } from '../../services/auth.service';
import type { Viewer } from '../../services/viewer';
import { ChangePasswordArgs } from '../args/change-password.args';
import { asOwnProfile } from '../contact-visibility';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { RegisterInput } from '../inputs/register.input';
import { AuthPayload } from '../types/auth-payload.type';

const payload = (result: AuthResult): AuthPayload => ({
  ...result,
  user: asOwnProfile(result.user),
  tokenType: 'bearer',
});

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Query(() => User, { description: 'The logged-in user.' })
  me(@CurrentViewer() viewer: Viewer): User {
    return viewer.user;
  }

  @Mutation(() => AuthPayload, {
    description:
      'Creates an account and logs it in. Throttled per client IP (TOO_MANY_REQUESTS, `retryAfter`).',
  })
  async register(@Arg('input') input: RegisterInput, @Ctx() context: GraphQLContext): Promise<AuthPayload> {
    return payload(await this.auth.register(input, context.client));
  }

  @Mutation(() => AuthPayload, {
    description:
      'Logs in; a banned user is refused. Failed logins are throttled per client IP, per account and client IP, ' +
      'and per account (TOO_MANY_REQUESTS with `extensions.retryAfter`, seconds); a success forgets the ' +
      "client's failures, and the right password from a client without recent failures is never refused.",
  })
  async login(
    @Arg('email') email: string,
    @Arg('password') password: string,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    return payload(await this.auth.login(email, password, context.client));
  }

  @Mutation(() => AuthPayload, {
    description:
      'Trades a refresh token for new tokens. Each refresh token works once; reusing one ends the session. ' +
      'Throttled per client IP.',
  })
  async refreshToken(
    @Arg('refreshToken') refreshToken: string,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    return payload(await this.auth.refresh(refreshToken, context.client));
  }

  @Mutation(() => Boolean, {
    description: "Ends this token's session: its access and refresh tokens stop working.",
  })
  logout(@CurrentViewer() viewer: Viewer): Promise<boolean> {
    return this.auth.logout(viewer);
  }

  @Mutation(() => Boolean, {
    description: 'Changes the password and ends every other session. Throttled per user.',
  })
  async changePassword(
    @CurrentViewer() viewer: Viewer,
    @Args() { currentPassword, newPassword }: ChangePasswordArgs,
  ): Promise<boolean> {
    return this.auth.changePassword(viewer, currentPassword, newPassword);
  }
}

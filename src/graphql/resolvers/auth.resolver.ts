import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { User } from '../../entities';
import { accountAttempts } from '../../services/attempts';
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
    await accountAttempts.register(context.throttles, context.client);
    return payload(await this.auth.register(input));
  }

  @Mutation(() => AuthPayload, {
    description:
      'Logs in; a banned user is refused. Throttled per account and per client IP: past the limit even the right ' +
      'password gets TOO_MANY_REQUESTS with `extensions.retryAfter` (seconds).',
  })
  async login(
    @Arg('email') email: string,
    @Arg('password') password: string,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    await accountAttempts.login(context.throttles, context.client, email);
    return payload(await this.auth.login(email, password));
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
    await accountAttempts.refresh(context.throttles, context.client);
    return payload(await this.auth.refresh(refreshToken));
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
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await accountAttempts.changePassword(context.throttles, viewer);
    return this.auth.changePassword(viewer, currentPassword, newPassword);
  }
}

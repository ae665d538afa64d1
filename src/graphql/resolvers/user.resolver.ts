import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User, UserStatus } from '../../entities';
import type { UserService } from '../../services/user.service';
import type { Viewer } from '../../services/viewer';
import { SearchUsersArgs } from '../args/search-users.args';
import { UsersArgs } from '../args/users.args';
import { mayReadContact } from '../contact-visibility';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { parseId, parseOptionalId } from '../ids';
import { UpdateProfileInput } from '../inputs/update-profile.input';

const CONTACT = 'Contact data: null unless you are this user or an admin.';

/** The value when the viewer may read the user's contact data, else null; without a promise when it can. */
function contactField(
  context: GraphQLContext,
  user: User,
  value: string,
): string | null | Promise<string | null> {
  const may = mayReadContact(context, user);
  return typeof may === 'boolean' ? (may ? value : null) : may.then((ok) => (ok ? value : null));
}

@Resolver(() => User)
export class UserResolver {
  constructor(private readonly userService: UserService) {}

  @Query(() => User, {
    nullable: true,
    description: 'A user (their public profile unless it is you or you are an admin); null with NOT_FOUND.',
  })
  async user(@CurrentViewer() _viewer: Viewer, @Arg('id', () => ID) id: string): Promise<User> {
    return this.userService.get(parseId(id, 'id'));
  }

  @Query(() => [User], {
    description:
      'Active users whose name contains the query; for an admin also those whose email or phone number does.',
  })
  async searchUsers(
    @CurrentViewer() viewer: Viewer,
    @Args() { query, first }: SearchUsersArgs,
  ): Promise<User[]> {
    return this.userService.search(viewer, query, first);
  }

  @Query(() => [User], { description: 'Admin only: every user, oldest first, optionally matching a search.' })
  async users(@CurrentViewer() viewer: Viewer, @Args() { search, first, after }: UsersArgs): Promise<User[]> {
    return this.userService.list(viewer, {
      search: search ?? undefined,
      first,
      after: parseOptionalId(after, 'after'),
    });
  }

  @Mutation(() => User, {
    description:
      'Changes your own profile. An email or phone number another account has is refused with CONFLICT, in the ' +
      'same words whichever it is. Throttled per user (TOO_MANY_REQUESTS, `retryAfter`).',
  })
  updateProfile(@CurrentViewer() viewer: Viewer, @Arg('input') input: UpdateProfileInput): Promise<User> {
    return this.userService.updateProfile(viewer, input);
  }

  @Mutation(() => User, {
    description: 'Admin only: bans or unbans a user. A ban ends their sessions at once.',
  })
  setUserStatus(
    @CurrentViewer() viewer: Viewer,
    @Arg('userId', () => ID) userId: string,
    @Arg('status', () => UserStatus) status: UserStatus,
  ): Promise<User> {
    return this.userService.setStatus(viewer, parseId(userId, 'userId'), status);
  }

  @FieldResolver(() => String, { nullable: true, description: CONTACT })
  email(@Root() user: User, @Ctx() context: GraphQLContext): string | null | Promise<string | null> {
    return contactField(context, user, user.email);
  }

  @FieldResolver(() => String, { nullable: true, description: CONTACT })
  phonenumber(@Root() user: User, @Ctx() context: GraphQLContext): string | null | Promise<string | null> {
    return contactField(context, user, user.phonenumber);
  }

  @FieldResolver(() => String, { nullable: true, description: CONTACT })
  address(@Root() user: User, @Ctx() context: GraphQLContext): string | null | Promise<string | null> {
    return contactField(context, user, user.address);
  }
}

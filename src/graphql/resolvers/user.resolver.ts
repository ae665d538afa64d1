import { Arg, Args, ID, Mutation, Query, Resolver } from 'type-graphql';
import { User, UserStatus } from '../../entities';
import type { UserService } from '../../services/user.service';
import type { Viewer } from '../../services/viewer';
import { SearchUsersArgs } from '../args/search-users.args';
import { UsersArgs } from '../args/users.args';
import { CurrentViewer } from '../current-viewer';
import { parseId, parseOptionalId } from '../ids';
import { UpdateProfileInput } from '../inputs/update-profile.input';

@Resolver(() => User)
export class UserResolver {
  constructor(private readonly userService: UserService) {}

  @Query(() => User)
  async user(@CurrentViewer() _viewer: Viewer, @Arg('id', () => ID) id: string): Promise<User> {
    return this.userService.get(parseId(id, 'id'));
  }

  @Query(() => [User], { description: 'Active users whose name, email or phone number contains the query.' })
  async searchUsers(
    @CurrentViewer() _viewer: Viewer,
    @Args() { query, first }: SearchUsersArgs,
  ): Promise<User[]> {
    return this.userService.search(query, first);
  }

  @Query(() => [User], { description: 'Admin only: every user, oldest first, optionally matching a search.' })
  async users(@CurrentViewer() viewer: Viewer, @Args() { search, first, after }: UsersArgs): Promise<User[]> {
    return this.userService.list(viewer, {
      search: search ?? undefined,
      first,
      after: parseOptionalId(after, 'after'),
    });
  }

  @Mutation(() => User)
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
}

import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Notification, NotificationStatus, User } from '../../entities';
import type { NotificationService } from '../../services/notification.service';
import type { Viewer } from '../../services/viewer';
import { PageArgs } from '../args/page.args';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { parseId, parseOptionalId } from '../ids';
import { CreateNotificationInput } from '../inputs/create-notification.input';
import { UpdateNotificationInput } from '../inputs/update-notification.input';

const USER_ID_DESCRIPTION = "Admin only: read another user's notifications instead of your own.";

@Resolver(() => Notification)
export class NotificationResolver {
  constructor(private readonly notificationService: NotificationService) {}

  @Query(() => Notification, {
    nullable: true,
    description:
      'One of your notifications (an admin: any); null with NOT_FOUND, other fields keep their data.',
  })
  notification(@CurrentViewer() viewer: Viewer, @Arg('id', () => ID) id: string): Promise<Notification> {
    return this.notificationService.get(viewer, parseId(id, 'id'));
  }

  @Query(() => [Notification], { description: 'Your notifications, newest first. Page back with `before`.' })
  notifications(
    @CurrentViewer() viewer: Viewer,
    @Arg('status', () => NotificationStatus, { nullable: true }) status: NotificationStatus | undefined,
    @Args() page: PageArgs,
    @Arg('userId', () => ID, { nullable: true, description: USER_ID_DESCRIPTION }) userId: string | undefined,
  ): Promise<Notification[]> {
    return this.notificationService.list(viewer, {
      status: status ?? undefined,
      first: page.first,
      before: parseOptionalId(page.before, 'before'),
      userId: parseOptionalId(userId, 'userId'),
    });
  }

  @Query(() => Int, { description: 'How many notifications you have, optionally of one status.' })
  notificationCount(
    @CurrentViewer() viewer: Viewer,
    @Arg('status', () => NotificationStatus, { nullable: true }) status: NotificationStatus | undefined,
    @Arg('userId', () => ID, { nullable: true, description: USER_ID_DESCRIPTION }) userId: string | undefined,
  ): Promise<number> {
    return this.notificationService.count(viewer, {
      status: status ?? undefined,
      userId: parseOptionalId(userId, 'userId'),
    });
  }

  @Query(() => [Notification], { description: 'Admin only: every notification, newest first.' })
  allNotifications(@CurrentViewer() viewer: Viewer, @Args() page: PageArgs): Promise<Notification[]> {
    return this.notificationService.all(viewer, {
      first: page.first,
      before: parseOptionalId(page.before, 'before'),
    });
  }

  @Mutation(() => [Notification], { description: 'Admin only: one notification per receiver, all or none.' })
  createNotification(
    @CurrentViewer() viewer: Viewer,
    @Arg('input') input: CreateNotificationInput,
  ): Promise<Notification[]> {
    return this.notificationService.create(viewer, {
      title: input.title,
      detail: input.detail,
      receiverId: parseOptionalId(input.receiverId, 'input.receiverId'),
      receiverIds: input.receiverIds?.map((id, i) => parseId(id, `input.receiverIds[${i}]`)),
    });
  }

  @Mutation(() => Notification)
  updateNotification(
    @CurrentViewer() viewer: Viewer,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateNotificationInput,
  ): Promise<Notification> {
    return this.notificationService.update(viewer, parseId(id, 'id'), {
      ...input,
      receiverId: parseOptionalId(input.receiverId, 'input.receiverId'),
    });
  }

  @Mutation(() => Int, { description: 'Marks all your unseen notifications as seen; returns how many.' })
  markAllNotificationsSeen(@CurrentViewer() viewer: Viewer): Promise<number> {
    return this.notificationService.markAllSeen(viewer);
  }

  @FieldResolver(() => User)
  receiver(@Root() notification: Notification, @Ctx() { loaders }: GraphQLContext): Promise<User | null> {
    return loaders.user.load(notification.receiverId);
  }
}

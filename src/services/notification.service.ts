import { type DataSource, In } from 'typeorm';
import { Notification, NotificationStatus, User } from '../entities';
import { badInput, forbidden, notFound } from '../errors';
import { updateNotificationsInBulk } from '../subscribers/notification.subscriber';
import { adminOnlyFieldsSent, definedOnly } from './changes';
import { type BeforePage, beforeConditions, DEFAULT_PAGE_SIZE } from './paging';
import { isAdmin, requireAdmin, targetUserId, type Viewer } from './viewer';

export interface NewNotification {
  readonly title: string;
  readonly detail: string;
  readonly receiverId?: number;
  readonly receiverIds?: readonly number[];
}

export interface NotificationChanges {
  readonly title?: string;
  readonly detail?: string;
  readonly status?: NotificationStatus;
  readonly receiverId?: number;
}

export const MAX_RECEIVERS = 1000;

/** Notifications: admins send them, receivers read and mark them. */
export class NotificationService {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates one notification per receiver, all or none: an unknown receiver stores nothing. */
  async create(viewer: Viewer, data: NewNotification): Promise<Notification[]> {
    requireAdmin(viewer);
    const receiverIds = [
      ...new Set([...(data.receiverIds ?? []), ...(data.receiverId === undefined ? [] : [data.receiverId])]),
    ];
    if (receiverIds.length === 0)
      throw badInput('receiverIds', 'give receiverId or at least one receiverIds entry.');
    if (receiverIds.length > MAX_RECEIVERS) {
      throw badInput('receiverIds', `at most ${MAX_RECEIVERS} receivers in one call.`);
    }
    return this.dataSource.transaction(async (manager) => {
      const found = await manager.find(User, { where: { id: In(receiverIds) }, select: { id: true } });
      const known = new Set(found.map((user) => user.id));
      const missing = receiverIds.filter((id) => !known.has(id));
      if (missing.length > 0) throw notFound(missing.length === 1 ? 'User' : 'Users', missing.join(', '));
      const notifications = receiverIds.map((receiverId) =>
        manager.create(Notification, {
          title: data.title,
          detail: data.detail,
          receiverId,
          status: NotificationStatus.UNSEEN,
        }),
      );
      return manager.save(notifications);
    });
  }

  async get(viewer: Viewer, id: number): Promise<Notification> {
    const notification = await this.dataSource.getRepository(Notification).findOneBy({ id });
    if (!notification) throw notFound('Notification', id);
    assertReceiver(viewer, notification);
    return notification;
  }

  /** The receiver may change only the status; an admin may change every field. */
  async update(viewer: Viewer, id: number, changes: NotificationChanges): Promise<Notification> {
    if (!isAdmin(viewer)) {
      const refused = adminOnlyFieldsSent(changes, ['status']);
      if (refused.length > 0)
        throw forbidden(`Only an admin may change ${refused.join(', ')} of a notification.`);
    }
    return this.dataSource.transaction(async (manager) => {
      // Locked, so concurrent updates take turns and none writes back a value it did not change.
      const notification = await manager.findOne(Notification, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!notification) throw notFound('Notification', id);
      assertReceiver(viewer, notification);
      if (changes.receiverId !== undefined && !(await manager.existsBy(User, { id: changes.receiverId }))) {
        throw notFound('User', changes.receiverId);
      }
      Object.assign(notification, definedOnly(changes));
      return manager.save(notification);
    });
  }

  /** A user's notifications, newest first, a page at a time before a notification id. */
  list(
    viewer: Viewer,
    options: BeforePage & { status?: NotificationStatus; userId?: number },
  ): Promise<Notification[]> {
    const receiverId = targetUserId(viewer, options.userId);
    return this.dataSource.getRepository(Notification).find({
      where: {
        receiverId,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...beforeConditions(options),
      },
      order: { id: 'DESC' },
      take: options.first ?? DEFAULT_PAGE_SIZE,
    });
  }

  count(viewer: Viewer, options: { status?: NotificationStatus; userId?: number }): Promise<number> {
    const receiverId = targetUserId(viewer, options.userId);
    return this.dataSource.getRepository(Notification).countBy({
      receiverId,
      ...(options.status === undefined ? {} : { status: options.status }),
    });
  }

  all(viewer: Viewer, page: BeforePage): Promise<Notification[]> {
    requireAdmin(viewer);
    return this.dataSource.getRepository(Notification).find({
      where: beforeConditions(page),
      order: { id: 'DESC' },
      take: page.first ?? DEFAULT_PAGE_SIZE,
    });
  }

  /**
   * Marks every unseen notification of the viewer as seen, and writes each one's NotificationUpdated (as save()
   * would stage it), in one statement whatever their number; returns how many changed.
   */
  async markAllSeen(viewer: Viewer): Promise<number> {
    return this.dataSource.transaction((manager) =>
      updateNotificationsInBulk(
        manager,
        // Locked in id order, as a concurrent mark locks them, so neither waits crosswise; then changed by their
        // keys, so the update reads the rows it changes and never the whole table.
        `target AS (
           SELECT notification_id FROM notifications
            WHERE receiver_id = $1 AND status = 'unseen'
            ORDER BY notification_id
              FOR UPDATE),
         changed AS (
           UPDATE notifications n SET status = 'seen', updated_at = CURRENT_TIMESTAMP
            WHERE n.notification_id = ANY (ARRAY(SELECT notification_id FROM target))
           RETURNING n.*)`,
        [viewer.user.id],
      ),
    );
  }
}

function assertReceiver(viewer: Viewer, notification: Notification): void {
  if (notification.receiverId !== viewer.user.id && !isAdmin(viewer)) {
    throw forbidden('You may only access your own notifications.');
  }
}

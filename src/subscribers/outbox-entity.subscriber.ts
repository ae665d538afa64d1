import type { EntitySubscriberInterface, InsertEvent, ObjectLiteral, UpdateEvent } from 'typeorm';
import type { RealtimeEventName } from '../events/realtime-event';
import { changedColumns } from './changed-columns';
import { stageEvent, stageUnreadCountsCheck } from './outbox-staging';

/**
 * Records a Created event for every insert and an Updated event for every update that changed a value, each for
 * the users the subclass names, and has the unread counts of the users whose counts the change may move compared
 * at commit. No network I/O: the events wait in the outbox until the transaction commits.
 */
export abstract class OutboxEntitySubscriber<
  T extends ObjectLiteral,
> implements EntitySubscriberInterface<T> {
  protected abstract readonly created: RealtimeEventName;
  protected abstract readonly updated: RealtimeEventName;
  protected abstract createdFor(entity: T): number[];
  protected abstract updatedFor(entity: T): number[];
  /** The users whose unread counts may have moved, given the database columns that changed (all, for an insert). */
  protected abstract unreadCountsOf(
    changed: readonly string[] | 'inserted',
    before: T | undefined,
    after: T,
  ): number[];

  async afterInsert(event: InsertEvent<T>): Promise<void> {
    const { entity } = event;
    await stageEvent(
      event.manager,
      event.queryRunner,
      this.created,
      event.metadata,
      entity,
      this.createdFor(entity),
    );
    await stageUnreadCountsCheck(
      event.manager,
      event.queryRunner,
      this.unreadCountsOf('inserted', undefined, entity),
    );
  }

  async afterUpdate(event: UpdateEvent<T>): Promise<void> {
    const before = event.databaseEntity as T | undefined;
    const after = event.entity as T | undefined;
    // Without the old row (an update() or QueryBuilder write) there is nothing to compare; services use save().
    if (!before || !after) return;
    const changed = changedColumns(event.metadata, before, after);
    if (changed.length === 0) return;
    await stageEvent(
      event.manager,
      event.queryRunner,
      this.updated,
      event.metadata,
      after,
      this.updatedFor(after),
    );
    await stageUnreadCountsCheck(
      event.manager,
      event.queryRunner,
      this.unreadCountsOf(changed, before, after),
    );
  }
}

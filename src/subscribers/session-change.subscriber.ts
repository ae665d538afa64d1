import {
  type EntitySubscriberInterface,
  EventSubscriber,
  type DataSource,
  type ObjectLiteral,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type UpdateEvent,
} from 'typeorm';
import { AuthSession } from '../entities/auth-session';
import { User } from '../entities/user';

const pending = new WeakMap<QueryRunner, Set<number>>();
const listeners = new WeakMap<DataSource, (userIds: number[]) => void>();

/**
 * Tells the session cache which users had their row or a session changed (a ban, a profile change, a logout, a
 * refreshed token), once the change committed: every write to them goes through save().
 */
@EventSubscriber()
export class SessionChangeSubscriber implements EntitySubscriberInterface {
  afterUpdate(event: UpdateEvent<ObjectLiteral>): void {
    const row = (event.entity ?? event.databaseEntity) as ObjectLiteral | undefined;
    const userId: unknown =
      event.metadata.target === User
        ? row?.id
        : event.metadata.target === AuthSession
          ? row?.userId
          : undefined;
    if (typeof userId !== 'number') return;
    if (!event.queryRunner.isTransactionActive) {
      listeners.get(event.connection)?.([userId]);
      return;
    }
    const users = pending.get(event.queryRunner) ?? new Set<number>();
    users.add(userId);
    pending.set(event.queryRunner, users);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const users = pending.get(event.queryRunner);
    // A released savepoint reports a commit too; the outermost one tells.
    if (users === undefined || event.queryRunner.isTransactionActive) return;
    pending.delete(event.queryRunner);
    listeners.get(event.connection)?.([...users]);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) pending.delete(event.queryRunner);
  }
}

/** Calls `listener` with the users whose row or sessions a committed change of this data source touched. */
export function onSessionChange(dataSource: DataSource, listener: (userIds: number[]) => void): void {
  listeners.set(dataSource, listener);
}

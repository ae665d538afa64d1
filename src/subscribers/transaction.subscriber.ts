import {
  EventSubscriber,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type TransactionStartEvent,
} from 'typeorm';
import { transactionCommitting, transactionEnded, transactionStarted } from './outbox-staging';

/**
 * Tells the outbox staging when transactions start, are about to commit, and end. TypeORM also fires these hooks
 * for SAVEPOINT, RELEASE and ROLLBACK TO SAVEPOINT; the staging keeps count of the depth.
 */
@EventSubscriber()
export class TransactionSubscriber implements EntitySubscriberInterface {
  afterTransactionStart(event: TransactionStartEvent): void {
    transactionStarted(event.queryRunner);
  }

  beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    return transactionCommitting(event.queryRunner, event.manager);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    transactionEnded(event.connection, event.queryRunner, true);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    transactionEnded(event.connection, event.queryRunner, false);
  }
}

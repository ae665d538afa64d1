import {
  EventSubscriber,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { transactionEnded } from './outbox-staging';

/**
 * Signals the end of transactions that recorded events. TypeORM also fires these hooks on RELEASE and ROLLBACK
 * TO SAVEPOINT; only the outermost transaction, after which none is active, counts.
 */
@EventSubscriber()
export class TransactionSubscriber implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.isTransactionActive) transactionEnded(event.connection, event.queryRunner, true);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) transactionEnded(event.connection, event.queryRunner, false);
  }
}

import type { Logger as TypeOrmLogger } from 'typeorm';

/** A TypeORM logger that counts the SQL statements a server runs for requests. */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  readonly queries: string[] = [];

  logQuery(query: string): void {
    // The event log's reader and feed poll in the background; their statements belong to no request. A write's
    // own staging (its recipient locks, its staged events) does, and is counted.
    if (
      /event_outbox(?!_pending)|event_log_|event_feed_|pg_notify|pg_try_advisory|pg_advisory_unlock/.test(
        query,
      )
    )
      return;
    this.count += 1;
    this.queries.push(query);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  /** How many statements the callback caused. */
  async during(callback: () => Promise<unknown>): Promise<number> {
    const before = this.count;
    await callback();
    return this.count - before;
  }
}

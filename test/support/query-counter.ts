import type { Logger as TypeOrmLogger } from 'typeorm';

/** A TypeORM logger that counts the SQL statements a server runs. */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  readonly queries: string[] = [];

  logQuery(query: string): void {
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

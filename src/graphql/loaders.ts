import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { hydrate } from '../database/hydrate';
import { User } from '../entities';

/** Per-request batching: every `sender`, `receiver` or `otherUser` of one response costs one query together. */
export interface Loaders {
  readonly user: DataLoader<number, User | null>;
}

export function createLoaders(dataSource: DataSource): Loaders {
  return {
    user: new DataLoader(async (ids) => {
      // On every page of messages: SQL run directly and rows hydrated without a query builder.
      const rows = (await dataSource.query('SELECT * FROM users WHERE user_id = ANY($1::int[])', [
        [...ids],
      ])) as Record<string, unknown>[];
      const metadata = dataSource.getMetadata(User);
      const byId = new Map(rows.map((row) => [row.user_id, hydrate<User>(metadata, row)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { hydrate } from '../database/hydrate';
import { User } from '../entities';
import type { ConversationSummary, MessageService } from '../services/message.service';

/** Per-request batching: every `sender`, `receiver` or `otherUser` of one response costs one query together. */
export interface Loaders {
  readonly user: DataLoader<number, User | null>;
  /** Chat list entries by `<owner id>:<other user id>`. */
  readonly conversation: DataLoader<string, ConversationSummary | null>;
}

export function createLoaders(dataSource: DataSource, messages: MessageService): Loaders {
  return {
    conversation: new DataLoader((keys) =>
      messages.summaries(
        keys.map((key) => {
          const [userId, otherUserId] = key.split(':').map(Number);
          return { userId, otherUserId };
        }),
      ),
    ),
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

import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { User } from '../entities';

/** Per-request batching: every `sender`, `receiver` or `otherUser` of one response costs one query together. */
export interface Loaders {
  readonly user: DataLoader<number, User | null>;
}

export function createLoaders(dataSource: DataSource): Loaders {
  return {
    user: new DataLoader(async (ids) => {
      const users = await dataSource.getRepository(User).findBy({ id: In([...ids]) });
      const byId = new Map(users.map((user) => [user.id, user]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

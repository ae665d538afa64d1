import { createLogger } from '../../src/logger';
import { PresenceRegistry, type PresenceTransition } from '../../src/realtime/presence/presence-registry';
import { InMemoryPresenceStore } from '../../src/realtime/presence/presence-store';

function registry() {
  const store = new InMemoryPresenceStore();
  const changes: Pick<PresenceTransition, 'group' | 'member' | 'present'>[] = [];
  const tracked = new PresenceRegistry(
    store,
    async ({ group, member, present }) => {
      changes.push({ group, member, present });
    },
    createLogger('silent'),
  );
  return { store, changes, tracked };
}

it('counts sockets: one change when the first opens and one when the last closes', async () => {
  const { changes, tracked, store } = registry();
  await tracked.add('online', '5', 'socket-1');
  await tracked.add('online', '5', 'socket-2');
  await tracked.add('online', '5', 'socket-2');
  await tracked.remove('online', '5', 'socket-1');
  expect(await store.present('online', ['5'])).toEqual([true]);
  await tracked.remove('online', '5', 'socket-2');
  await tracked.remove('online', '5', 'socket-2');
  expect(changes).toEqual([
    { group: 'online', member: '5', present: true },
    { group: 'online', member: '5', present: false },
  ]);
  expect(await store.present('online', ['5'])).toEqual([false]);
});

it('keeps the order of a close and a reopen started together, ending present', async () => {
  const { changes, tracked, store } = registry();
  await tracked.add('online', '5', 'socket-1');
  const closing = tracked.remove('online', '5', 'socket-1');
  const reopening = tracked.add('online', '5', 'socket-2');
  await Promise.all([closing, reopening]);
  expect(await store.present('online', ['5'])).toEqual([true]);
  expect(changes.at(-1)).toEqual({ group: 'online', member: '5', present: true });
});

it('ignores sockets after close, and stop reports what was still held', async () => {
  const { tracked, store } = registry();
  await tracked.add('online', '5', 'socket-1');
  await tracked.close();
  await tracked.add('online', '6', 'socket-2');
  expect(await store.present('online', ['5', '6'])).toEqual([true, false]);
  expect((await store.stop()).map((m) => m.member)).toEqual(['5']);
});

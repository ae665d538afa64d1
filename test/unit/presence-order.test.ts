import type { DataSource } from 'typeorm';
import { createLogger } from '../../src/logger';
import { InProcessBus, type PresenceChange } from '../../src/events/shared-bus';
import { InMemoryPresenceStore } from '../../src/realtime/presence/presence-store';
import { ONLINE, PresenceService } from '../../src/realtime/presence/presence.service';

const change = (version: number, present: boolean): PresenceChange => ({
  group: ONLINE,
  member: '7',
  present,
  info: '',
  at: new Date(version * 1000).toISOString(),
  version,
});

/** The receiving side only: what other instances announce reaches this one over the bus, in any order. */
async function receiver() {
  const bus = new InProcessBus();
  // Receiving never touches the database; announcing (not used here) would.
  const presence = new PresenceService(
    {} as DataSource,
    new InMemoryPresenceStore(),
    bus,
    createLogger('silent', 'test'),
  );
  const seen: [number, boolean][] = [];
  presence.onChange((c) => seen.push([c.version, c.present]));
  await presence.start();
  return { bus, seen };
}

describe('presence changes from several instances', () => {
  it('drops an announcement overtaken by a newer one of the same member, so the last state shown is the newest', async () => {
    const { bus, seen } = await receiver();
    // Went offline on one instance (version 2) and online again on another (version 3); 3 reached the bus first.
    await bus.publish('presence-changed', change(1, true));
    await bus.publish('presence-changed', change(3, true));
    await bus.publish('presence-changed', change(2, false));
    await bus.publish('presence-changed', change(4, false));
    // Version 3 repeats the state shown (online), version 2 is older than 3: one event per change shown.
    expect(seen).toEqual([
      [1, true],
      [4, false],
    ]);
  });

  it('keeps members apart', async () => {
    const { bus, seen } = await receiver();
    await bus.publish('presence-changed', change(5, true));
    await bus.publish('presence-changed', { ...change(2, true), member: '8' });
    expect(seen).toEqual([
      [5, true],
      [2, true],
    ]);
  });

  it('forgets a member some minutes after they went away, and still passes on their next change', async () => {
    jest.useFakeTimers({ now: 0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const { bus, seen } = await receiver();
      await bus.publish('presence-changed', change(10, true));
      await bus.publish('presence-changed', change(11, false));
      jest.setSystemTime(11 * 60 * 1000);
      // Another member's change makes the receiver tidy up: member 7, away for 11 minutes, is forgotten.
      await bus.publish('presence-changed', { ...change(1, true), member: '8' });
      // Forgotten, a change with any version is new again (a reset store's versions start low).
      await bus.publish('presence-changed', change(2, true));
      expect(seen).toEqual([
        [10, true],
        [11, false],
        [1, true],
        [2, true],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});

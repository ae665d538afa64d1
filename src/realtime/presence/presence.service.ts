import type { DataSource } from 'typeorm';
import type { PresenceChange, SharedBus } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { Viewer } from '../../services/viewer';
import { PresenceRegistry, type PresenceTransition } from './presence-registry';
import type { ExpiredMember, PresenceStore } from './presence-store';
import { assertMayWatch } from './presence-visibility';
import { PUSHER_CHANNELS_GROUP } from '../pusher-endpoint/pusher-webhooks';

/** The group of every user with at least one open authenticated socket, on any instance. */
export const ONLINE = 'online';

/** What `presence` answers for one user. */
export interface UserPresenceState {
  readonly userId: number;
  readonly online: boolean;
  readonly lastSeenAt: Date | null;
}

/**
 * Who is online, and who is in which Pusher presence channel: sockets open and close here, the store counts them
 * over every instance, and each change is announced once on the bus (and, for `online`, kept as `lastSeenAt`).
 */
export class PresenceService {
  private readonly registry: PresenceRegistry;
  private readonly order = new PresenceOrder();
  private readonly handlers: ((change: PresenceChange) => void)[] = [];
  private readonly announcedHere: ((change: PresenceChange) => void)[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PresenceStore,
    private readonly bus: SharedBus,
    private readonly logger: Logger,
  ) {
    this.registry = new PresenceRegistry(store, (transition) => this.announce(transition), logger);
  }

  /** Listens to the changes of every instance (see onChange), then starts keeping this instance's presence. */
  async start(): Promise<void> {
    await this.bus.subscribe('presence-changed', (change) => {
      if (!this.order.accept(change)) return;
      for (const handler of this.handlers) handler(change);
    });
    await this.store.start({
      expired: (members) => void this.expired(members),
      lost: () => this.registry.rejoin(),
    });
  }

  /** An authenticated socket of the user opened; `socket` is unique on this instance. */
  socketOpened(userId: number, socket: string): void {
    void this.registry.add(ONLINE, String(userId), socket);
  }

  socketClosed(userId: number, socket: string): void {
    void this.registry.remove(ONLINE, String(userId), socket);
  }

  /** A socket joined a Pusher presence channel; resolves to its members (user id -> info), the joiner included. */
  async joinChannel(
    channel: string,
    userId: string,
    info: string,
    socket: string,
  ): Promise<Map<string, string>> {
    await this.registry.add(channel, userId, socket, info);
    return this.store.members(channel);
  }

  leaveChannel(channel: string, userId: string, socket: string): void {
    void this.registry.remove(channel, userId, socket);
  }

  /** A socket holds a Pusher channel: it is occupied while any socket holds it, on any instance. */
  channelHeld(channel: string, socket: string): void {
    void this.registry.add(PUSHER_CHANNELS_GROUP, channel, socket);
  }

  channelReleased(channel: string, socket: string): void {
    void this.registry.remove(PUSHER_CHANNELS_GROUP, channel, socket);
  }

  /** The presence of each user, in the order asked; FORBIDDEN unless the viewer may see every one. */
  async presence(viewer: Viewer, userIds: readonly number[]): Promise<UserPresenceState[]> {
    await assertMayWatch(this.dataSource, viewer, userIds);
    if (userIds.length === 0) return [];
    const [online, rows] = await Promise.all([
      this.store.present(ONLINE, userIds.map(String)),
      this.dataSource.query<{ user_id: number; last_seen_at: Date | null }[]>(
        'SELECT user_id, last_seen_at FROM users WHERE user_id = ANY($1::int[])',
        [userIds],
      ),
    ]);
    const lastSeen = new Map(rows.map((row) => [Number(row.user_id), row.last_seen_at]));
    return userIds.map((userId, i) => ({
      userId,
      online: online[i],
      lastSeenAt: lastSeen.get(userId) ?? null,
    }));
  }

  /** Refuses (FORBIDDEN) unless the viewer may see the presence of every one of the users. */
  assertMayWatch(viewer: Viewer, userIds: readonly number[]): Promise<void> {
    return assertMayWatch(this.dataSource, viewer, userIds);
  }

  /** A presence channel's members on every instance (user id -> user_info JSON). */
  channelMembers(channel: string): Promise<Map<string, string>> {
    return this.store.members(channel);
  }

  /** How many instances take part now. */
  liveInstances(): Promise<number> {
    return this.store.liveInstances();
  }

  /** Takes this instance's members away, announcing each, after its sockets closed. */
  async stop(): Promise<void> {
    await this.registry.close();
    const left = await this.store.stop();
    await this.expired(left);
  }

  private async expired(members: ExpiredMember[]): Promise<void> {
    for (const { group, member, lastSeen, version } of members) {
      await this.announce({ group, member, present: false, info: '', at: lastSeen, version }).catch(
        (error: unknown) =>
          this.logger.error({ err: error, group, member }, 'could not announce a presence change'),
      );
    }
  }

  /**
   * Hands `handler` the presence changes of every instance, each once and in the order they happened: an
   * announcement overtaken on its way by a newer one of the same member is dropped, and so is one that would
   * repeat the state a receiver already has (a blip it never saw).
   */
  onChange(handler: (change: PresenceChange) => void): void {
    this.handlers.push(handler);
  }

  /** Hands `handler` the changes this instance announces: each change of every instance reaches one handler once. */
  onAnnounced(handler: (change: PresenceChange) => void): void {
    this.announcedHere.push(handler);
  }

  private async announce(transition: PresenceTransition): Promise<void> {
    const { group, member, present, info, version } = transition;
    let at = transition.at;
    if (group === ONLINE) {
      // Plain SQL: a presence change is not a profile change, so updated_at and the entity subscribers stay out.
      // Never backwards: announcements of two instances may reach this point in either order, and a member
      // swept with its dead instance (last seen at that instance's last heartbeat) may have come online after it.
      // The change announces what is stored, so the event and the presence query agree.
      const [stored] = (await this.dataSource.query(
        `WITH seen AS (
           UPDATE users SET last_seen_at = greatest(coalesce(last_seen_at, $2::timestamptz), $2::timestamptz)
            WHERE user_id = $1 RETURNING last_seen_at)
         SELECT last_seen_at FROM seen`,
        [Number(member), at],
      )) as { last_seen_at: Date }[];
      if (stored) at = new Date(stored.last_seen_at);
    }
    const change: PresenceChange = { group, member, present, info, at: at.toISOString(), version };
    await this.bus.publish('presence-changed', change);
    for (const handler of this.announcedHere) handler(change);
  }
}

/** How long a receiver remembers a member who went away: late announcements arrive within moments, not minutes. */
const FORGET_ABSENT_AFTER_MS = 10 * 60 * 1000;

/**
 * The newest change each receiver has seen of each member, to drop what arrives late. Members who went away are
 * forgotten some minutes later, so what an instance remembers is bounded by who was around recently, not by everyone
 * ever seen.
 */
class PresenceOrder {
  private readonly latest = new Map<string, { version: number; present: boolean; at: number }>();
  private nextPrune = Date.now() + FORGET_ABSENT_AFTER_MS;

  accept(change: PresenceChange): boolean {
    const now = Date.now();
    if (now >= this.nextPrune) this.prune(now);
    const key = `${change.group}|${change.member}`;
    const last = this.latest.get(key);
    if (last !== undefined && change.version <= last.version) return false;
    this.latest.set(key, { version: change.version, present: change.present, at: now });
    return last === undefined || last.present !== change.present;
  }

  private prune(now: number): void {
    this.nextPrune = now + FORGET_ABSENT_AFTER_MS;
    for (const [key, last] of this.latest) {
      if (!last.present && now - last.at >= FORGET_ABSENT_AFTER_MS) this.latest.delete(key);
    }
  }
}

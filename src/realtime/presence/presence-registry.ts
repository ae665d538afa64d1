import type { Logger } from '../../logger';
import type { PresenceStore } from './presence-store';

/** A member's presence in a group changed, as this instance's store operation found. */
export interface PresenceTransition {
  readonly group: string;
  readonly member: string;
  readonly present: boolean;
  readonly info: string;
  readonly at: Date;
  /** Its place among all presence changes, from the store. */
  readonly version: number;
}

interface Entry {
  readonly group: string;
  readonly member: string;
  info: string;
  /** This instance's sockets holding the member in the group. */
  readonly holders: Set<string>;
  /** The store operations of this entry, one after the other: a leave never overtakes its join. */
  queue: Promise<void>;
}

/**
 * This instance's side of presence: counts the sockets holding each member of each group, and tells the store only
 * when the first one opens or the last one closes, so several tabs make one member and one change, not one per
 * socket. Store operations of one entry run in order; each change the store reports goes to `changed`.
 */
export class PresenceRegistry {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly changed: (transition: PresenceTransition) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** A socket (`holder`, unique on this instance) holds the member; resolves once the store knows. */
  add(group: string, member: string, holder: string, info = ''): Promise<void> {
    if (this.closed) return Promise.resolve();
    const key = `${group}|${member}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { group, member, info, holders: new Set(), queue: Promise.resolve() };
      this.entries.set(key, entry);
    }
    if (entry.holders.has(holder)) return entry.queue;
    entry.holders.add(holder);
    if (entry.holders.size > 1) return entry.queue;
    entry.info = info;
    return this.enqueue(entry, () => this.join(entry));
  }

  /** The socket no longer holds the member. */
  remove(group: string, member: string, holder: string): Promise<void> {
    const key = `${group}|${member}`;
    const entry = this.entries.get(key);
    if (this.closed || !entry?.holders.delete(holder)) return Promise.resolve();
    if (entry.holders.size > 0) return entry.queue;
    return this.enqueue(entry, async () => {
      // Held again while waiting its turn: the join that followed is queued and will find it present.
      if (entry.holders.size > 0) return;
      const version = await this.store.leave(entry.group, entry.member);
      if (version > 0) await this.changed({ ...this.describe(entry), present: false, version });
      if (entry.holders.size === 0 && this.entries.get(key) === entry) this.entries.delete(key);
    });
  }

  /** Joins every held member again, after the store lost this instance's entries. */
  rejoin(): void {
    for (const entry of this.entries.values()) {
      if (entry.holders.size > 0) void this.enqueue(entry, () => this.join(entry));
    }
  }

  /** Waits for the store operations under way; later adds and removes are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].map((entry) => entry.queue));
  }

  private async join(entry: Entry): Promise<void> {
    if (entry.holders.size === 0) return;
    const version = await this.store.join(entry.group, entry.member, entry.info);
    if (version > 0) await this.changed({ ...this.describe(entry), present: true, version });
  }

  private describe(entry: Entry) {
    return { group: entry.group, member: entry.member, info: entry.info, at: new Date() };
  }

  private enqueue(entry: Entry, step: () => Promise<void>): Promise<void> {
    entry.queue = entry.queue.then(step).catch((error: unknown) => {
      this.logger.error({ err: error, group: entry.group, member: entry.member }, 'presence update failed');
    });
    return entry.queue;
  }
}

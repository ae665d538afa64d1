/** A member that left because the instance holding it stopped renewing its heartbeat. */
export interface ExpiredMember {
  readonly group: string;
  readonly member: string;
  /** The dead instance's last heartbeat: when the member was last seen. */
  readonly lastSeen: Date;
  /** The change's place among all presence changes (see PresenceStore.join). */
  readonly version: number;
}

export interface PresenceStoreHandlers {
  /** Members whose only instance died: they are gone now. */
  readonly expired: (members: ExpiredMember[]) => void;
  /** This instance was itself taken for dead (a long pause) and swept: what it holds must be joined again. */
  readonly lost: () => void;
}

/**
 * Who is present in each group, over every instance. Each instance joins a member once however many of its sockets
 * hold it (see PresenceRegistry); `join` and `leave` answer whether the member's presence as a whole changed, so
 * exactly one instance learns of each change and announces it. A change is answered with its version, a number
 * that grows with every change the store makes (0: no change): announcements from different instances can reach
 * the bus out of order, and receivers keep only the newest (PresenceOrder).
 */
export interface PresenceStore {
  /** Starts keeping this instance's entries alive. */
  start(handlers: PresenceStoreHandlers): Promise<void>;
  /** The change's version when the member was absent before (on every instance), else 0. */
  join(group: string, member: string, info: string): Promise<number>;
  /** The change's version when the member is now absent (on every instance), else 0. */
  leave(group: string, member: string): Promise<number>;
  /** The members of a group and the info each joined with. */
  members(group: string): Promise<Map<string, string>>;
  /** For each member, whether it is present. */
  present(group: string, members: readonly string[]): Promise<boolean[]>;
  /** Removes what this instance still holds and reports it as `expired` would; stops the heartbeat. */
  stop(): Promise<ExpiredMember[]>;
  /** How many instances keep their heartbeat now (this one included). */
  liveInstances(): Promise<number>;
}

/** One instance without Redis: presence is what this process holds. */
export class InMemoryPresenceStore implements PresenceStore {
  private readonly groups = new Map<string, Map<string, string>>();
  private version = 0;

  async start(): Promise<void> {}

  async join(group: string, member: string, info: string): Promise<number> {
    const members = this.groups.get(group) ?? new Map<string, string>();
    this.groups.set(group, members);
    const absent = !members.has(member);
    members.set(member, info);
    return absent ? ++this.version : 0;
  }

  async leave(group: string, member: string): Promise<number> {
    const members = this.groups.get(group);
    if (!members?.delete(member)) return 0;
    if (members.size === 0) this.groups.delete(group);
    return ++this.version;
  }

  async members(group: string): Promise<Map<string, string>> {
    return new Map(this.groups.get(group));
  }

  async present(group: string, members: readonly string[]): Promise<boolean[]> {
    const present = this.groups.get(group);
    return members.map((member) => present?.has(member) ?? false);
  }

  async liveInstances(): Promise<number> {
    return 1;
  }

  async stop(): Promise<ExpiredMember[]> {
    const now = new Date();
    const left = [...this.groups].flatMap(([group, members]) =>
      [...members.keys()].map((member) => ({ group, member, lastSeen: now, version: ++this.version })),
    );
    this.groups.clear();
    return left;
  }
}

import type { PresenceChange } from '../../events/shared-bus';

/** Who a presence channel subscription says it is, from the signed `channel_data`. */
export interface PresenceMember {
  /** Pusher's `user_id`, as a string. */
  readonly userId: string;
  /** Pusher's `user_info`, as JSON (`null` when none was given). */
  readonly userInfo: string;
}

/** A protocol frame's event and data (already a JSON string, as the protocol sends it). */
export interface PresenceFrame {
  readonly event: string;
  readonly data: string;
}

const MAX_CHANNEL_DATA_LENGTH = 10 * 1024;

/** Reads `channel_data` (`{"user_id": ..., "user_info": {...}}`); undefined when it is not that. */
export function parseChannelData(raw: unknown): PresenceMember | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_CHANNEL_DATA_LENGTH) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { user_id: userId, user_info: userInfo } = data as Record<string, unknown>;
  const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) return undefined;
  return { userId: id, userInfo: JSON.stringify(userInfo ?? null) };
}

/**
 * One socket's subscription to a presence channel. Member changes that arrive before its member list was read are
 * held and then replayed against that list; a change the socket's view already shows (a member it knows joining,
 * one it does not know leaving) sends nothing, and nor does a change of the socket's own user, as in Pusher.
 * Besides itself, the socket is shown only the members `shown` allows.
 */
export class PresenceSubscription {
  private known: Set<string> | undefined;
  private readonly early: PresenceChange[] = [];

  constructor(
    readonly member: PresenceMember,
    private readonly shown: (member: string) => boolean = () => true,
  ) {}

  /** The `pusher_internal:subscription_succeeded` data for these members, and the frames held back meanwhile. */
  succeeded(all: Map<string, string>): { data: string; then: PresenceFrame[] } {
    const members = [...all].filter(([id]) => id === this.member.userId || this.shown(id));
    this.known = new Set(members.map(([id]) => id));
    const hash: Record<string, unknown> = {};
    for (const [id, info] of members) hash[id] = JSON.parse(info) as unknown;
    const data = JSON.stringify({ presence: { ids: [...this.known], hash, count: members.length } });
    const then = this.early.flatMap((change) => this.change(change) ?? []);
    this.early.length = 0;
    return { data, then };
  }

  /** The frame a member change gives this socket, if any. */
  change(change: PresenceChange): PresenceFrame | undefined {
    if (change.member === this.member.userId || !this.shown(change.member)) return undefined;
    if (this.known === undefined) {
      this.early.push(change);
      return undefined;
    }
    if (change.present) {
      if (this.known.has(change.member)) return undefined;
      this.known.add(change.member);
      const userInfo = JSON.parse(change.info || 'null') as unknown;
      return {
        event: 'pusher_internal:member_added',
        data: JSON.stringify({ user_id: change.member, user_info: userInfo }),
      };
    }
    if (!this.known.delete(change.member)) return undefined;
    return { event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: change.member }) };
  }
}

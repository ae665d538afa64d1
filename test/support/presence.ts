import type { PresenceChannel } from 'pusher-js';
import type { LegacyPusherClient } from './legacy-pusher-client';

export const presenceChannel = (userId: string | number) => `presence-Chat.User.${userId}`;

export const PRESENCE = `query P($ids: [ID!]!) { presence(userIds: $ids) { userId online lastSeenAt } }`;
export const PRESENCE_CHANGED = (ids: string[]) =>
  `subscription { presenceChanged(userIds: ${JSON.stringify(ids)}) { userId online lastSeenAt } }`;
export const TYPING = `mutation T($to: ID!) { typing(otherUserId: $to) }`;

export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

/** A presence channel joined with pusher-js as Laravel Echo's `join` does, recording member events. */
export interface JoinedPresence {
  readonly channel: PresenceChannel;
  readonly added: { id: string; info: unknown }[];
  readonly removed: { id: string; info: unknown }[];
  /** The member ids pusher-js holds now. */
  ids(): string[];
}

/** Joins; resolves once subscribed, rejects with pusher-js's subscription error (e.g. status 403). */
export function joinPresence(client: LegacyPusherClient, name: string): Promise<JoinedPresence> {
  const channel = client.pusher.subscribe(name) as PresenceChannel;
  const added: JoinedPresence['added'] = [];
  const removed: JoinedPresence['removed'] = [];
  channel.bind('pusher:member_added', (member: { id: string; info: unknown }) => added.push(member));
  channel.bind('pusher:member_removed', (member: { id: string; info: unknown }) => removed.push(member));
  const ids = () => {
    const found: string[] = [];
    channel.members.each((member: { id: string }) => found.push(member.id));
    return found.sort();
  };
  return new Promise((resolve, reject) => {
    channel.bind('pusher:subscription_succeeded', () => resolve({ channel, added, removed, ids }));
    channel.bind('pusher:subscription_error', (error: unknown) => reject(error));
  });
}

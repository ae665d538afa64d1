import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { SharedBus, TypingChange } from '../events/shared-bus';
import type { Throttles } from '../http/throttles';
import type { LiveServices } from '../graphql/resolver-container';
import type { Logger } from '../logger';
import type { PresenceChannelAuthorizer } from '../realtime/broadcasting-auth.routes';
import type { SocketPresence } from '../realtime/graphql-ws.server';
import { LiveTopic, LiveTopics } from '../realtime/live-topics';
import { ONLINE, PresenceService } from '../realtime/presence/presence.service';
import { InMemoryPresenceStore } from '../realtime/presence/presence-store';
import { watchableUsers, whoMaySee } from '../realtime/presence/presence-visibility';
import {
  type CacheChannelStore,
  InMemoryCacheChannelStore,
  RedisCacheChannelStore,
} from '../realtime/pusher-endpoint/cache-channels';
import { RedisPresenceStore } from '../realtime/presence/redis-presence-store';
import type { PusherPresenceHooks } from '../realtime/pusher-endpoint/pusher-socket.server';
import type { PusherGateway } from '../realtime/pusher-gateway';
import { PusherWebhooks, webhookOfPresence } from '../realtime/pusher-endpoint/pusher-webhooks';
import { legacyTypingPayload, TYPING_EVENT } from '../realtime/typing/typing-payload';
import { InMemoryTypingState, RedisTypingState } from '../realtime/typing/typing-state';
import { TypingService } from '../realtime/typing/typing.service';
import type { MessageService } from '../services/message.service';
import type { Stops } from './stops';

export interface LiveParts {
  readonly dataSource: DataSource;
  readonly bus: SharedBus;
  readonly config: Config;
  readonly throttles: Throttles;
  readonly logger: Logger;
  readonly stops: Stops;
  /** Sending a message ends the typist's indicator, through whichever API it was sent. */
  readonly messages: MessageService;
}

/** Presence and typing, plus what the sockets and /broadcasting/auth need to take part. */
export interface Live extends LiveServices {
  /** For graphql-ws: each authenticated socket counts towards its user being online. */
  readonly socketPresence: SocketPresence;
  /** For the built-in Pusher endpoint: its signed sockets count too, and it keeps presence channels' members. */
  readonly pusherPresence: PusherPresenceHooks;
  /** For /broadcasting/auth: who may join `presence-Chat.User.{id}`, and as whom. */
  readonly authorizePresenceChannel: PresenceChannelAuthorizer;
  /** Cache channels' last events: in Redis with REDIS_URL, so every instance replays the same one. */
  readonly pusherCache: CacheChannelStore;
  /** On this server's `presence-Chat.User.{id}` channels, the members a member's client events may reach. */
  readonly clientEventRecipients: (
    channel: string,
    senderUserId: string,
  ) => Promise<readonly string[] | undefined>;
  /** With PUSHER_WEBHOOK_URL and the built-in endpoint: where its webhooks go out. */
  readonly webhooks: PusherWebhooks | undefined;
  /** Where typing indicators reach Pusher clients, once the gateway exists. */
  pushThrough(gateway: PusherGateway): void;
}

const PRESENCE_CHANNEL = /^presence-Chat\.User\.([1-9]\d{0,9})$/;
const messageChannel = (userId: number) => `private-MessageChannel.User.${userId}`;

/**
 * Builds presence (state in Redis with REDIS_URL, with heartbeats so a dead instance's users go offline; in memory
 * otherwise) and typing (throttled in Redis or in memory). Changes cross instances on the bus; Pusher typing events
 * go out once, from the instance that announced them.
 */
export async function buildLive(parts: LiveParts): Promise<Live> {
  const { dataSource, bus, config, throttles, logger, stops, messages } = parts;
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 })
    : undefined;
  if (redis) {
    redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error (presence)'));
    await redis.connect();
    stops.add('presence Redis connection', () => redis.quit().then(() => undefined));
  }
  const topics = new LiveTopics(config.sockets.graphqlWsMaxQueuedEvents);

  const store = redis
    ? new RedisPresenceStore(redis, { prefix: config.redisPrefix, ...config.presence }, logger)
    : new InMemoryPresenceStore();
  const presence = new PresenceService(dataSource, store, bus, logger);
  presence.onChange((change) => {
    if (change.group === ONLINE) topics.publish(LiveTopic.PRESENCE_CHANGED, change.member, change);
  });
  // Its stop runs after presence's (stops run newest first), so the members and channels that go then are posted.
  const webhooks =
    config.pusher.builtIn && config.pusher.webhookUrls.length > 0
      ? new PusherWebhooks(config.pusher, config.pusher.webhookUrls, logger)
      : undefined;
  if (webhooks) {
    stops.add('Pusher webhooks', () => webhooks.stop());
    presence.onAnnounced((change) => {
      const event = webhookOfPresence(change);
      if (event) webhooks.send(event);
    });
  }
  await presence.start();
  // Registered after the sockets' stops would be too late: stops run newest first, so this one runs after them.
  stops.add('presence', () => presence.stop());

  let gateway: PusherGateway | undefined;
  const announceTyping = async (change: TypingChange): Promise<void> => {
    await bus.publish('typing-changed', change);
    await gateway
      ?.trigger(messageChannel(change.receiverId), TYPING_EVENT, legacyTypingPayload(change))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not send a Typing event to Pusher'));
  };
  const typingState = redis ? new RedisTypingState(redis, config.redisPrefix) : new InMemoryTypingState();
  const typing = new TypingService(dataSource, typingState, announceTyping, throttles, logger);
  await bus.subscribe('typing-changed', (change) => {
    topics.publish(LiveTopic.TYPING_CHANGED, change.receiverId, change);
    typing.heard(change);
  });
  stops.add('typing indicators', () => typing.stop());
  messages.onSent((typistId, receiverId) => typing.messageSent(typistId, receiverId));

  const pusherHolder = (socketId: string) => `pusher:${socketId}`;
  return {
    presence,
    typing,
    topics,
    socketPresence: {
      opened: (userId, socket) => presence.socketOpened(userId, socket),
      closed: (userId, socket) => presence.socketClosed(userId, socket),
    },
    pusherPresence: {
      userBound: (userId, socketId) => presence.socketOpened(userId, pusherHolder(socketId)),
      userUnbound: (userId, socketId) => presence.socketClosed(userId, pusherHolder(socketId)),
      join: (channel, member, socketId) =>
        presence.joinChannel(channel, member.userId, member.userInfo, pusherHolder(socketId)),
      leave: (channel, member, socketId) =>
        presence.leaveChannel(channel, member.userId, pusherHolder(socketId)),
      // The channel tells whether its user is here; who else watches them is nobody else's business.
      shown: (channel) => {
        const owner = PRESENCE_CHANNEL.exec(channel)?.[1];
        return owner === undefined ? undefined : (member) => member === owner;
      },
      // Occupancy is kept only for webhooks: without them a subscribe costs no store round trip.
      ...(webhooks && {
        channelHeld: (channel: string, socketId: string) =>
          presence.channelHeld(channel, pusherHolder(socketId)),
        channelReleased: (channel: string, socketId: string) =>
          presence.channelReleased(channel, pusherHolder(socketId)),
      }),
    },
    webhooks,
    pusherCache: redis
      ? new RedisCacheChannelStore(redis, config.redisPrefix, config.pusher.cacheTtlSeconds)
      : new InMemoryCacheChannelStore(config.pusher.cacheTtlSeconds),
    clientEventRecipients: async (channel, senderUserId) => {
      if (!PRESENCE_CHANNEL.test(channel)) return undefined;
      const members = [...(await presence.channelMembers(channel)).keys()].filter(
        (id) => id !== senderUserId,
      );
      const allowed = await whoMaySee(dataSource, Number(senderUserId), members.map(Number));
      return [...allowed].map(String);
    },
    authorizePresenceChannel: async (viewer, channel) => {
      const match = PRESENCE_CHANNEL.exec(channel);
      if (!match) return undefined;
      const allowed = await watchableUsers(dataSource, viewer, [Number(match[1])]);
      if (!allowed.has(Number(match[1]))) return undefined;
      return { user_id: String(viewer.user.id), user_info: { id: viewer.user.id, name: viewer.user.name } };
    },
    pushThrough: (target) => {
      gateway = target;
    },
  };
}

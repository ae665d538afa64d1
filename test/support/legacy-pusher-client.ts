import Pusher from 'pusher-js';
import type { Channel } from 'pusher-js';

export const PUSHER_KEY = 'app-key';

export interface ReceivedEvent {
  event: string;
  channel: string;
  data: { model: Record<string, unknown>; connection: unknown; queue: unknown };
}

/**
 * A pusher-js client configured as the legacy web and mobile apps configure theirs: the socket on `wsHost`, private
 * channels authorized at the app server's `/broadcasting/auth` with the user's bearer token.
 */
export class LegacyPusherClient {
  readonly pusher: Pusher;
  readonly received: ReceivedEvent[] = [];

  constructor(options: { wsPort: number; authUrl: string; token: string; key?: string; wsHost?: string }) {
    this.pusher = new Pusher(options.key ?? PUSHER_KEY, {
      cluster: 'mt1',
      wsHost: options.wsHost ?? '127.0.0.1',
      wsPort: options.wsPort,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      authEndpoint: options.authUrl,
      auth: { headers: { Authorization: `Bearer ${options.token}` } },
    });
  }

  /** Subscribes and records every event; rejects with the subscription error pusher-js reports. */
  subscribe(channelName: string): Promise<Channel> {
    const channel = this.pusher.subscribe(channelName);
    channel.bind_global((event: string, data: unknown) => {
      if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
      this.received.push({ event, channel: channelName, data: data as ReceivedEvent['data'] });
    });
    return new Promise((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', () => resolve(channel));
      channel.bind('pusher:subscription_error', (error: unknown) => reject(error));
    });
  }

  events(name: string, channel?: string): ReceivedEvent[] {
    return this.received.filter((e) => e.event === name && (channel === undefined || e.channel === channel));
  }

  disconnect(): void {
    this.pusher.disconnect();
  }
}

export const messageChannel = (userId: string | number) => `private-MessageChannel.User.${userId}`;
export const notificationChannel = (userId: string | number) => `private-NotificationChannel.User.${userId}`;

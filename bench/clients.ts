import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import Pusher from 'pusher-js';
import WebSocket from 'ws';
import { sleep } from './processes';
import { BENCH_SECRETS } from './server-env';
import type { BenchUser } from './dataset';

export type ClientKind = 'graphql-ws' | 'pusher-js' | 'ws';

/** What a client saw: the event's kind, its marker (a message's detail or a notification's title), when. */
export type OnEvent = (
  kind: ClientKind,
  event: 'message' | 'notification',
  marker: string,
  at: number,
) => void;

export interface Subscribers {
  /** Per user, the kinds of the sockets opened for them, one entry per socket. */
  readonly sockets: ReadonlyMap<number, readonly ClientKind[]>;
  close(): Promise<void>;
}

interface Opened {
  close(): Promise<void> | void;
}

/** A graphql-ws client as an Apollo app opens it, subscribed to its messages and optionally notifications. */
async function openGraphqlWs(
  url: string,
  user: BenchUser,
  onEvent: OnEvent,
  notifications: boolean,
): Promise<Opened> {
  const client: Client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${user.token}` },
    onNonLazyError: () => undefined,
  });
  const subscribe = (
    query: string,
    read: (data: Record<string, { detail?: string; title?: string }>) => void,
  ) =>
    client.subscribe(
      { query },
      {
        next: (result) => result.data && read(result.data as never),
        error: () => undefined,
        complete: () => undefined,
      },
    );
  subscribe('subscription { messageCreated { id detail } }', (data) =>
    onEvent('graphql-ws', 'message', data.messageCreated.detail ?? '', performance.now()),
  );
  if (notifications) {
    subscribe('subscription { notificationCreated { id title } }', (data) =>
      onEvent('graphql-ws', 'notification', data.notificationCreated.title ?? '', performance.now()),
    );
  }
  await new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
    client.on('closed', (event) =>
      reject(new Error(`graphql-ws closed: ${(event as { code: number }).code}`)),
    );
  });
  return { close: () => client.dispose() };
}

/** A pusher-js client configured as the legacy apps configure theirs, on the server's built-in endpoint. */
async function openPusherJs(
  url: string,
  user: BenchUser,
  onEvent: OnEvent,
  notifications: boolean,
): Promise<Opened> {
  const port = Number(new URL(url).port);
  const pusher = new Pusher(BENCH_SECRETS.PUSHER_APP_KEY, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    authEndpoint: `${url}/broadcasting/auth`,
    auth: { headers: { Authorization: `Bearer ${user.token}` } },
  });
  const channels = [`private-MessageChannel.User.${user.id}`];
  if (notifications) channels.push(`private-NotificationChannel.User.${user.id}`);
  await Promise.all(
    channels.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const channel = pusher.subscribe(name);
          channel.bind('MessageCreated', (data: { model: { detail: string } }) =>
            onEvent('pusher-js', 'message', data.model.detail, performance.now()),
          );
          channel.bind('NotificationCreated', (data: { model: { title: string } }) =>
            onEvent('pusher-js', 'notification', data.model.title, performance.now()),
          );
          channel.bind('pusher:subscription_succeeded', () => resolve());
          channel.bind('pusher:subscription_error', (error: unknown) =>
            reject(new Error(`pusher-js subscription refused: ${JSON.stringify(error)}`)),
          );
        }),
    ),
  );
  return { close: () => pusher.disconnect() };
}

/**
 * A raw ws client of a baseline server, which pushes each message or notification row as JSON to its receiver's
 * sockets; only a notification row has a title.
 */
async function openRawWs(url: string, user: BenchUser, onEvent: OnEvent): Promise<Opened> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(user.token)}`);
  socket.on('message', (data) => {
    const row = JSON.parse(String(data)) as { detail: string; title?: string };
    if (row.title === undefined) onEvent('ws', 'message', row.detail, performance.now());
    else onEvent('ws', 'notification', row.title, performance.now());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { close: () => socket.close() };
}

/**
 * Opens one client per user, alternating graphql-ws and pusher-js (or raw ws for a baseline), a few at a time so the
 * opening itself is not a connection storm; resolves once every one is subscribed.
 */
export async function openSubscribers(
  url: string,
  users: readonly BenchUser[],
  onEvent: OnEvent,
  options: { kinds: readonly ClientKind[]; notifications?: boolean; batch?: number },
): Promise<Subscribers> {
  const opened: Opened[] = [];
  const sockets = new Map<number, ClientKind[]>();
  const batch = options.batch ?? 50;
  const open = (user: BenchUser, kind: ClientKind): Promise<Opened> => {
    if (kind === 'graphql-ws') return openGraphqlWs(url, user, onEvent, options.notifications ?? false);
    if (kind === 'pusher-js') return openPusherJs(url, user, onEvent, options.notifications ?? false);
    return openRawWs(url, user, onEvent);
  };
  const close = async () => {
    await Promise.all(opened.map((client) => client.close()));
  };
  try {
    for (let i = 0; i < users.length; i += batch) {
      const chunk = users.slice(i, i + batch);
      opened.push(
        ...(await Promise.all(
          chunk.map((user, j) => {
            const kind = options.kinds[(i + j) % options.kinds.length];
            sockets.set(user.id, [...(sockets.get(user.id) ?? []), kind]);
            return open(user, kind);
          }),
        )),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  // graphql-ws does not acknowledge a subscribe: give the server a moment to register the last ones.
  await sleep(500);
  return { sockets, close };
}

/** Lets several benchmarks share one set of subscribers: events go to whichever listener is current. */
export class EventRouter {
  listener: OnEvent | undefined;
  readonly onEvent: OnEvent = (kind, event, marker, at) => this.listener?.(kind, event, marker, at);
}

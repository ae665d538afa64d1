import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { PusherBroadcast } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { PusherApp } from './pusher-events.routes';
import { isValidChannelAuth } from './pusher-signature';

const PROTOCOL_VERSION = 7;
const ACTIVITY_TIMEOUT_SECONDS = 120;
// Close codes pusher-js acts on: 4000-4099 it does not reconnect, 4200-4299 it reconnects at once.
const CLOSE_APP_NOT_FOUND = 4001;
const CLOSE_UNSUPPORTED_PROTOCOL = 4007;
const CLOSE_RECONNECT = 4200;

interface Connection {
  readonly socket: WebSocket;
  readonly socketId: string;
  readonly channels: Set<string>;
}

const frame = (event: string, data: unknown, channel?: string): string =>
  JSON.stringify({ event, ...(channel === undefined ? {} : { channel }), data });

/**
 * The WebSocket side of the built-in Pusher Channels endpoint (`/app/{key}`, protocol 7), enough for pusher-js and
 * Laravel Echo: connection, public and private channel subscriptions with signature checks, ping and pong.
 */
export class PusherSocketServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly byChannel = new Map<string, Set<Connection>>();

  constructor(
    private readonly app: PusherApp,
    private readonly logger: Logger,
  ) {
    this.wss.on('connection', (socket: WebSocket, request: IncomingMessage) => this.accept(socket, request));
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  /** Whether an upgrade request is for this endpoint. */
  handles(pathname: string): boolean {
    return pathname.startsWith('/app/');
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /** Sends an event to this instance's sockets subscribed to its channel. */
  deliver(broadcast: PusherBroadcast): void {
    const message = frame(broadcast.event, broadcast.data, broadcast.channel);
    for (const connection of this.byChannel.get(broadcast.channel) ?? []) {
      if (
        connection.socketId !== broadcast.excludeSocketId &&
        connection.socket.readyState === WebSocket.OPEN
      ) {
        connection.socket.send(message);
      }
    }
  }

  /** Closes every socket with a code that makes pusher-js reconnect (to another instance, or after a restart). */
  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.close(CLOSE_RECONNECT, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const key = decodeURIComponent(url.pathname.slice('/app/'.length));
    if (key !== this.app.key) {
      socket.send(
        frame('pusher:error', { code: CLOSE_APP_NOT_FOUND, message: `App key ${key} does not exist` }),
      );
      socket.close(CLOSE_APP_NOT_FOUND, 'App key not found');
      return;
    }
    const protocol = Number(url.searchParams.get('protocol') ?? PROTOCOL_VERSION);
    if (protocol < 5) {
      socket.send(
        frame('pusher:error', { code: CLOSE_UNSUPPORTED_PROTOCOL, message: 'Unsupported protocol version' }),
      );
      socket.close(CLOSE_UNSUPPORTED_PROTOCOL, 'Unsupported protocol version');
      return;
    }
    const connection: Connection = {
      socket,
      socketId: `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`,
      channels: new Set(),
    };
    socket.on('message', (raw) => this.receive(connection, raw.toString()));
    socket.on('close', () => {
      for (const channel of connection.channels) this.leave(connection, channel);
    });
    socket.on('error', (error) => this.logger.debug({ err: error }, 'Pusher socket error'));
    // The protocol sends `data` as a JSON string inside the JSON frame.
    socket.send(
      frame(
        'pusher:connection_established',
        JSON.stringify({ socket_id: connection.socketId, activity_timeout: ACTIVITY_TIMEOUT_SECONDS }),
      ),
    );
  }

  private receive(connection: Connection, text: string): void {
    let message: { event?: unknown; data?: unknown; channel?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      connection.socket.send(frame('pusher:error', { code: null, message: 'Messages must be JSON' }));
      return;
    }
    const data = typeof message.data === 'string' ? safeParse(message.data) : message.data;
    const channel = (data as { channel?: unknown } | null)?.channel;
    switch (message.event) {
      case 'pusher:ping':
        connection.socket.send(frame('pusher:pong', {}));
        return;
      case 'pusher:subscribe':
        this.subscribe(connection, channel, (data as { auth?: unknown } | null)?.auth);
        return;
      case 'pusher:unsubscribe':
        if (typeof channel === 'string') this.leave(connection, channel);
        return;
      default:
        connection.socket.send(
          frame('pusher:error', { code: null, message: `Unsupported event ${String(message.event)}` }),
        );
    }
  }

  private subscribe(connection: Connection, channel: unknown, auth: unknown): void {
    if (typeof channel !== 'string' || channel.length === 0) {
      connection.socket.send(
        frame('pusher:error', { code: null, message: 'pusher:subscribe needs a channel' }),
      );
      return;
    }
    const refuse = (error: string) =>
      connection.socket.send(
        frame('pusher:subscription_error', { type: 'AuthError', error, status: 401 }, channel),
      );
    if (channel.startsWith('presence-')) return refuse('Presence channels are not supported by this server');
    if (
      channel.startsWith('private-') &&
      !isValidChannelAuth(this.app.key, this.app.secret, connection.socketId, channel, auth)
    ) {
      return refuse(`Invalid signature for channel ${channel}`);
    }
    connection.channels.add(channel);
    const members = this.byChannel.get(channel) ?? new Set<Connection>();
    members.add(connection);
    this.byChannel.set(channel, members);
    connection.socket.send(frame('pusher_internal:subscription_succeeded', '{}', channel));
  }

  private leave(connection: Connection, channel: string): void {
    connection.channels.delete(channel);
    const members = this.byChannel.get(channel);
    members?.delete(connection);
    if (members?.size === 0) this.byChannel.delete(channel);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

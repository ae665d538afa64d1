import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { endsSession, type SessionRevocation } from '../../events/session-notices';
import type { PusherBroadcast, PusherChannelBinding } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { PusherApp } from './pusher-events.routes';
import { isChannelName } from '../channel-name';
import { closeWithin } from '../close-sockets';
import { isValidChannelAuth } from './pusher-signature';

const PROTOCOL_VERSION = 7;
// Pusher's codes: 4000-4099 pusher-js does not reconnect, 4100-4199 it reconnects with backoff, 4200-4299 at once.
const CLOSE_APP_NOT_FOUND = 4001;
const CLOSE_UNSUPPORTED_PROTOCOL = 4007;
const CLOSE_UNAUTHORIZED = 4009;
/** Not one of Pusher's own codes: a frame this server cannot read. The socket stays open. */
const ERROR_BAD_MESSAGE = 4010;
const ERROR_OVER_CAPACITY = 4100;
const CLOSE_RECONNECT = 4200;
const CLOSE_PONG_NOT_RECEIVED = 4201;

/** What one connection may hold and how long it may stay silent; see SocketLimits in the config. */
export interface PusherSocketLimits {
  readonly maxPayloadBytes: number;
  readonly maxChannelNameLength: number;
  readonly maxChannels: number;
  readonly activityTimeoutSeconds: number;
  readonly pongTimeoutSeconds: number;
  readonly maxBufferedBytes: number;
  /**
   * How long a private subscribe waits for the binding /broadcasting/auth announces, should the subscribe arrive
   * first; 0 where no binding is ever announced (an endpoint standing in for an outside Pusher).
   */
  readonly bindingWaitMs: number;
}

export const DEFAULT_PUSHER_SOCKET_LIMITS: PusherSocketLimits = {
  maxPayloadBytes: 100 * 1024,
  maxChannelNameLength: 200,
  maxChannels: 100,
  activityTimeoutSeconds: 120,
  pongTimeoutSeconds: 30,
  maxBufferedBytes: 1024 * 1024,
  bindingWaitMs: 0,
};

interface Connection {
  readonly socket: WebSocket;
  readonly socketId: string;
  readonly channels: Set<string>;
  /** The session that signed each private channel at /broadcasting/auth, as announced on the bus. */
  readonly signedBy: Map<string, PusherChannelBinding>;
  /**
   * Every binding /broadcasting/auth announced for this socket, kept for its life: a client that unsubscribes and
   * subscribes again with the same signature is bound again, never unbound.
   */
  readonly bindings: Map<string, PusherChannelBinding>;
  readonly bindingWaiters: Map<string, () => void>;
  /** Fires after the activity timeout of silence (sends a ping), then after the pong grace period (closes). */
  idle: NodeJS.Timeout;
  awaitingPong: boolean;
}

interface ClientMessage {
  readonly event: string;
  readonly data: unknown;
}

const frame = (event: string, data: unknown, channel?: string): string =>
  JSON.stringify({ event, ...(channel === undefined ? {} : { channel }), data });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A client frame as `{ event, data }` with `data` decoded when sent as a JSON string; undefined when unreadable. */
function parseClientMessage(text: string): ClientMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || typeof message.event !== 'string') return undefined;
  let data = message.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      data = undefined;
    }
  }
  return { event: message.event, data };
}

/**
 * The WebSocket side of the built-in Pusher Channels endpoint (`/app/{key}`, protocol 7), enough for pusher-js and
 * Laravel Echo: connection, public and private channel subscriptions with signature checks, ping and pong. Frames
 * are read defensively: nothing a client sends may throw, since that would stop the process.
 */
export class PusherSocketServer {
  private readonly wss: WebSocketServer;
  private readonly byChannel = new Map<string, Set<Connection>>();
  private readonly bySocketId = new Map<string, Connection>();

  constructor(
    private readonly app: PusherApp,
    private readonly logger: Logger,
    private readonly limits: PusherSocketLimits = DEFAULT_PUSHER_SOCKET_LIMITS,
  ) {
    // Bigger frames close the socket (1009) before they are read into memory.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
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
      if (connection.socketId !== broadcast.excludeSocketId) this.send(connection.socket, message);
    }
  }

  /** Records which session signed a channel for one of this instance's sockets (others ignore it). */
  bind(binding: PusherChannelBinding): void {
    const connection = this.bySocketId.get(binding.socketId);
    if (!connection) return;
    connection.bindings.set(binding.channel, binding);
    connection.bindingWaiters.get(binding.channel)?.();
  }

  /** The sessions that hold channels here, for the periodic re-check. */
  boundSessions(): string[] {
    const sessions: string[] = [];
    for (const connection of this.bySocketId.values()) {
      for (const binding of connection.signedBy.values()) sessions.push(binding.sessionId);
    }
    return sessions;
  }

  /** Closes (4009) the connections holding a channel signed by one of these ended sessions. */
  closeSessions(revocation: SessionRevocation): void {
    this.closeWhere((binding) => endsSession(revocation, binding.userId, binding.sessionId));
  }

  /** Closes (4009) the connections holding a channel signed by this session. */
  endSession(sessionId: string): void {
    this.closeWhere((binding) => binding.sessionId === sessionId);
  }

  private closeWhere(ended: (binding: PusherChannelBinding) => boolean): void {
    for (const connection of [...this.bySocketId.values()]) {
      if (![...connection.signedBy.values()].some(ended)) continue;
      // Leave at once, so not one more event reaches it while the close handshake runs.
      for (const channel of [...connection.channels]) this.leave(connection, channel);
      this.bySocketId.delete(connection.socketId);
      this.refuse(connection.socket, CLOSE_UNAUTHORIZED, 'The session has ended');
    }
  }

  /** Closes every socket with a code that makes pusher-js reconnect (to another instance, or after a restart). */
  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.close(CLOSE_RECONNECT, 'Server shutting down');
    await closeWithin(this.wss, new Promise<void>((resolve) => this.wss.close(() => resolve())));
  }

  /** Sends unless the client stopped reading: past the buffer limit it is dropped rather than buffered on. */
  private send(socket: WebSocket, message: string): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.logger.debug('dropping a Pusher socket that does not read');
      socket.terminate();
      return;
    }
    socket.send(message);
  }

  private sendError(socket: WebSocket, code: number, message: string): void {
    this.send(socket, frame('pusher:error', { code, message }));
  }

  private refuse(socket: WebSocket, code: number, message: string): void {
    this.sendError(socket, code, message);
    socket.close(code, message);
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    socket.on('error', (error) => this.logger.debug({ err: error }, 'Pusher socket error'));
    const url = new URL(request.url ?? '/', 'http://localhost');
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice('/app/'.length));
    } catch {
      return this.refuse(socket, CLOSE_APP_NOT_FOUND, 'App key not found');
    }
    if (key !== this.app.key) {
      return this.refuse(socket, CLOSE_APP_NOT_FOUND, `App key ${key.slice(0, 100)} does not exist`);
    }
    const protocol = Number(url.searchParams.get('protocol') ?? PROTOCOL_VERSION);
    if (!Number.isInteger(protocol) || protocol < 5) {
      return this.refuse(socket, CLOSE_UNSUPPORTED_PROTOCOL, 'Unsupported protocol version');
    }
    const connection: Connection = {
      socket,
      socketId: `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`,
      channels: new Set(),
      signedBy: new Map(),
      bindings: new Map(),
      bindingWaiters: new Map(),
      idle: this.idleTimer(() => connection, this.limits.activityTimeoutSeconds),
      awaitingPong: false,
    };
    this.bySocketId.set(connection.socketId, connection);
    socket.on('message', (raw, isBinary) => this.receive(connection, raw, isBinary));
    socket.on('close', () => {
      clearTimeout(connection.idle);
      this.bySocketId.delete(connection.socketId);
      for (const wake of connection.bindingWaiters.values()) wake();
      for (const channel of connection.channels) this.leave(connection, channel);
    });
    // The protocol sends `data` as a JSON string inside the JSON frame.
    this.send(
      socket,
      frame(
        'pusher:connection_established',
        JSON.stringify({
          socket_id: connection.socketId,
          activity_timeout: this.limits.activityTimeoutSeconds,
        }),
      ),
    );
  }

  /** Silence: the first time a ping, then, if still nothing arrived, the close pusher-js reconnects from. */
  private idleFor(connection: Connection): void {
    if (connection.awaitingPong) {
      connection.socket.close(CLOSE_PONG_NOT_RECEIVED, 'Pong reply not received');
      return;
    }
    connection.awaitingPong = true;
    this.send(connection.socket, frame('pusher:ping', {}));
    // The grace period replaces the activity timeout until the client answers.
    connection.idle = this.idleTimer(() => connection, this.limits.pongTimeoutSeconds);
  }

  /** A silence timer; it never keeps the process alive by itself, since its socket does while open. */
  private idleTimer(connection: () => Connection, seconds: number): NodeJS.Timeout {
    return setTimeout(() => this.idleFor(connection()), seconds * 1000).unref();
  }

  private active(connection: Connection): void {
    if (connection.awaitingPong) {
      connection.awaitingPong = false;
      clearTimeout(connection.idle);
      connection.idle = this.idleTimer(() => connection, this.limits.activityTimeoutSeconds);
    } else {
      connection.idle.refresh();
    }
  }

  private receive(connection: Connection, raw: RawData, isBinary: boolean): void {
    this.active(connection);
    if (isBinary) return this.sendError(connection.socket, ERROR_BAD_MESSAGE, 'Messages must be text');
    const message = parseClientMessage(raw.toString());
    if (message === undefined) {
      return this.sendError(
        connection.socket,
        ERROR_BAD_MESSAGE,
        'Messages must be JSON objects with a string event',
      );
    }
    const data = isRecord(message.data) ? message.data : {};
    switch (message.event) {
      case 'pusher:ping':
        return this.send(connection.socket, frame('pusher:pong', {}));
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return void this.subscribe(connection, data.channel, data.auth);
      case 'pusher:unsubscribe':
        if (typeof data.channel === 'string') this.leave(connection, data.channel);
        return;
      default:
        return this.sendError(
          connection.socket,
          ERROR_BAD_MESSAGE,
          `Unsupported event ${message.event.slice(0, 100)}`,
        );
    }
  }

  private async subscribe(connection: Connection, channel: unknown, auth: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel.length === 0) {
      return this.sendError(connection.socket, ERROR_BAD_MESSAGE, 'pusher:subscribe needs a channel');
    }
    if (!isChannelName(channel, this.limits.maxChannelNameLength)) {
      return this.sendError(
        connection.socket,
        ERROR_BAD_MESSAGE,
        `Channel names are at most ${this.limits.maxChannelNameLength} characters of a-z, A-Z, 0-9 and _-=@,.;`,
      );
    }
    if (connection.channels.has(channel)) {
      return this.send(connection.socket, frame('pusher_internal:subscription_succeeded', '{}', channel));
    }
    if (connection.channels.size >= this.limits.maxChannels) {
      return this.sendError(
        connection.socket,
        ERROR_OVER_CAPACITY,
        `A connection subscribes to at most ${this.limits.maxChannels} channels`,
      );
    }
    const refuse = (error: string) =>
      this.send(
        connection.socket,
        frame('pusher:subscription_error', { type: 'AuthError', error, status: 401 }, channel),
      );
    if (channel.startsWith('presence-')) return refuse('Presence channels are not supported by this server');
    if (
      channel.startsWith('private-') &&
      !isValidChannelAuth(this.app.key, this.app.secret, connection.socketId, channel, auth)
    ) {
      return refuse(`Invalid signature for channel ${channel}`);
    }
    if (channel.startsWith('private-')) {
      const binding = await this.bindingFor(connection, channel);
      if (connection.socket.readyState !== WebSocket.OPEN) return;
      // A channel signed elsewhere with the secret (a backend using this endpoint as its Pusher service) has no
      // binding and stays unbound: whoever holds the secret can trigger any event anyway.
      if (binding) connection.signedBy.set(channel, binding);
    }
    connection.channels.add(channel);
    const members = this.byChannel.get(channel) ?? new Set<Connection>();
    members.add(connection);
    this.byChannel.set(channel, members);
    this.send(connection.socket, frame('pusher_internal:subscription_succeeded', '{}', channel));
  }

  /** The binding /broadcasting/auth announced for this channel, waiting briefly when the subscribe came first. */
  private async bindingFor(
    connection: Connection,
    channel: string,
  ): Promise<PusherChannelBinding | undefined> {
    if (!connection.bindings.has(channel) && this.limits.bindingWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.limits.bindingWaitMs);
        connection.bindingWaiters.set(channel, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      connection.bindingWaiters.delete(channel);
    }
    return connection.bindings.get(channel);
  }

  private leave(connection: Connection, channel: string): void {
    connection.channels.delete(channel);
    connection.signedBy.delete(channel);
    const members = this.byChannel.get(channel);
    members?.delete(connection);
    if (members?.size === 0) this.byChannel.delete(channel);
  }
}

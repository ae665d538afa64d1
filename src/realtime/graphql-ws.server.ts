import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  createSourceEventStream,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import {
  CloseCode,
  handleProtocols,
  makeServer,
  type Server,
  type WebSocket as GraphQLWsTransport,
} from 'graphql-ws';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { endsSession, type SessionRevocation } from '../events/session-notices';
import { AppError, forbidden, SERVER_BUSY } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { cachingParse } from '../graphql/document-cache';
import { validateWithLimits } from '../graphql/limits/operation-limits';
import { bearerToken } from '../http/bearer-token';
import type { Logger } from '../logger';
import type { AuthService } from '../services/auth.service';
import type { Viewer } from '../services/viewer';
import { closeWithin } from './close-sockets';
import { SessionRecheck } from './session-recheck';
import type { SocketSlot } from './socket-slots';
import { SubscriptionQueueFull } from './topics';

/** graphql-ws closes with 4403 Forbidden when onConnect refuses; ended sessions get the same code. */
const CLOSE_FORBIDDEN = 4403;
/** Try Again Later: the database could not check the socket's session just now; a reconnect may get past it. */
const CLOSE_TRY_AGAIN = 1013;
const busyExtensions = { code: 'INTERNAL_SERVER_ERROR', retryAfter: SERVER_BUSY.retryAfterSeconds };
/**
 * Try Again Later: a subscription of the socket fell too far behind. graphql-ws clients reconnect from it, and a
 * resumable `realtimeEvents` subscription resumes after the last event it handled, so nothing is lost.
 */
const CLOSE_FELL_BEHIND = 1013;
/** How long a socket may stay open without a connection_init: graphql-ws's default wait. */
const CONNECTION_INIT_WAIT_MS = 3000;
/** A client that does not read never answers the close: it is cut off this long after. */
const FELL_BEHIND_GRACE_MS = 1000;

const ENDED: IteratorResult<ExecutionResult> = { done: true, value: undefined };

/**
 * The responses of one subscription, as graphql's `subscribe` maps them (each source event executed with the event as
 * its root value), ending quietly when the source's queue overflowed (SubscriptionQueueFull), after `overflowed` has
 * closed the socket: graphql-ws would otherwise take the error for a fault of the server (4500, not retried). A class
 * because it lives as long as the subscription: graphql's mapAsyncIterator, and a wrapper over it, cost a handful of
 * closures and computed method names for every one.
 */
class SubscriptionResponses implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly overflowed: () => void,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    let event: IteratorResult<unknown>;
    try {
      event = await this.source.next();
    } catch (error) {
      if (!(error instanceof SubscriptionQueueFull)) throw error;
      this.overflowed();
      return ENDED;
    }
    if (event.done) return ENDED;
    try {
      return { done: false, value: await execute({ ...this.args, rootValue: event.value }) };
    } catch (error) {
      // As graphql's own mapping: the source is closed, and the error the client hears is the first one.
      await Promise.resolve(this.source.return?.()).catch(() => undefined);
      throw error;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return ENDED;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * One ws socket as graphql-ws's server core sees it. Instead of graphql-ws/use/ws, whose async wrapper of each
 * message stays suspended for as long as the subscription that message started lives (a few hundred bytes each), and
 * whose keep-alive this server does not use; the rest is as there.
 */
class WsTransport implements GraphQLWsTransport {
  readonly protocol: string;

  constructor(
    private readonly socket: WebSocket,
    private readonly logger: Logger,
  ) {
    this.protocol = socket.protocol;
  }

  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.socket.on('message', (data: RawData) => {
      handle(String(data)).catch((error: unknown) => this.failed(error));
    });
  }

  /** As graphql-ws/use/ws in production: the socket closes with 1011, and the reason tells nothing more. */
  failed(error: unknown): void {
    this.logger.error({ err: error }, 'graphql-ws: internal error on a socket');
    this.socket.close(CloseCode.InternalServerError, 'Internal server error');
  }
}

/** What one socket may send and hold, and how often it must show it is alive; see SocketLimits in the config. */
export interface GraphQLWebSocketLimits {
  readonly maxPayloadBytes: number;
  readonly maxSubscriptions: number;
  readonly pingIntervalSeconds: number;
  readonly pongTimeoutSeconds: number;
  /** A socket whose unsent data passes this is dropped rather than buffered without bound. */
  readonly maxBufferedBytes: number;
  /** How often the sessions holding sockets are re-checked against the database. */
  readonly sessionRecheckSeconds: number;
}

const DEFAULT_LIMITS: GraphQLWebSocketLimits = {
  maxPayloadBytes: 1024 * 1024,
  maxSubscriptions: 100,
  pingIntervalSeconds: 120,
  pongTimeoutSeconds: 30,
  maxBufferedBytes: 1024 * 1024,
  sessionRecheckSeconds: 30,
};

/** What this server keeps of one socket beside graphql-ws's own context; every field set from the start (one shape). */
interface SocketState {
  readonly socket: WebSocket;
  /** Until onConnect has read the client address from it: held for the socket's life it would cost a few KiB. */
  request: IncomingMessage | undefined;
  /** Set once connection_init is accepted. */
  viewer: Viewer | undefined;
  /** Whom per-IP throttles count the socket's operations against, read once from its upgrade request. */
  client: string | undefined;
  /** Names the socket to presence, which counts the user's open sockets. */
  presenceId: string | undefined;
  /** Until connection_init arrives: the socket closes (4408) if it does not come in time. */
  initWait: NodeJS.Timeout | undefined;
}

/** Hears of each authenticated socket that opens and closes (presence: online while one is open). */
export interface SocketPresence {
  opened(userId: number, socket: string): void;
  closed(userId: number, socket: string): void;
}

export interface GraphQLWebSocketOptions {
  readonly schema: GraphQLSchema;
  readonly auth: AuthService;
  /** The context of one operation on a socket authenticated as `viewer`, opened from `client`. */
  readonly context: (viewer: Viewer, client: string) => GraphQLContext;
  /** The client address an upgrade request comes from (through TRUST_PROXY). */
  readonly clientOf: (request: IncomingMessage) => string;
  readonly logger: Logger;
  /** The same formatting HTTP responses get, so a socket never carries a stack trace or SQL text either. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Rules added to graphql's own, so a socket gets the same operation limits as HTTP. */
  readonly validationRules?: readonly ValidationRule[];
  readonly limits?: GraphQLWebSocketLimits;
  readonly presence?: SocketPresence;
}

/**
 * GraphQL subscriptions over graphql-ws (`graphql-transport-ws`) at `/graphql`. A socket authenticates once with
 * `connectionParams.authorization` and is then bound to that session, not to the access token: subscribing keeps
 * working after the token expired, and the socket closes (4403) when the session ends.
 */
export class GraphQLWebSocketServer {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Map<WebSocket, Viewer>();
  private readonly server: Server<SocketState>;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly recheck: SessionRecheck;
  /** Each socket's place in the per-client counts, until its connection_init is accepted. */
  private readonly slots = new WeakMap<WebSocket, SocketSlot>();
  /** The socket each operation's context belongs to, so an overflowing subscription can close it. */
  private readonly socketOfContext = new WeakMap<object, WebSocket>();

  constructor(private readonly options: GraphQLWebSocketOptions) {
    const limits = options.limits ?? DEFAULT_LIMITS;
    // Bigger frames close the socket (1009) before they are parsed: a huge connection_init is never read.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, handleProtocols });
    this.heartbeat = setInterval(
      () => this.ping(limits.pongTimeoutSeconds),
      limits.pingIntervalSeconds * 1000,
    );
    this.heartbeat.unref();
    this.recheck = new SessionRecheck(
      options.auth,
      limits.sessionRecheckSeconds,
      options.logger,
      () => [...this.sockets.values()].map((viewer) => viewer.sessionId),
      (sessionId) => this.closeWhere((viewer) => viewer.sessionId === sessionId),
    );
    // graphql-ws's core, fed by WsTransport. No keep-alive of graphql-ws's: this server pings on its own schedule
    // (pingIntervalSeconds), and a second timer per socket would override that setting. Nor its wait for
    // connection_init, which keeps its timer referenced for the socket's life: opened() has one that lets go.
    this.server = makeServer<Record<string, unknown>, SocketState>({
      connectionInitWaitTimeout: 0,
      schema: options.schema,
      validate: validateWithLimits(options.validationRules ?? []),
      // Every subscriber sends the same few queries: one parsed document each, shared.
      parse: cachingParse(),
      context: (ctx) => {
        const context = options.context(ctx.extra.viewer as Viewer, ctx.extra.client as string);
        this.socketOfContext.set(context, ctx.extra.socket);
        return context;
      },
      // graphql's subscribe, with the mapping of SubscriptionResponses.
      subscribe: async (args) => {
        const result = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in result)) return result;
        const socket = this.socketOfContext.get(args.contextValue as object);
        return new SubscriptionResponses(
          result[Symbol.asyncIterator](),
          args,
          () => socket && this.fellBehind(socket),
        );
      },
      onConnect: async (ctx) => {
        clearTimeout(ctx.extra.initWait);
        ctx.extra.initWait = undefined;
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization);
        if (token === undefined) return false;
        // Not read again: the token alone is a few hundred bytes the socket would otherwise hold for its life.
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        let viewer: Viewer;
        try {
          viewer = await options.auth.authenticate(token);
        } catch (error) {
          // 4403 says the session is over, and clients log their user out on it: only for a refused token, not
          // for a database that could not answer (a timeout, a lost connection), which a reconnect may get past.
          if (!(error instanceof AppError)) {
            options.logger.warn(
              { err: error },
              'could not authenticate a graphql-ws connection; asked to retry',
            );
            ctx.extra.socket.close(CLOSE_TRY_AGAIN, SERVER_BUSY.message);
          }
          return false;
        }
        ctx.extra.viewer = viewer;
        const request = ctx.extra.request;
        ctx.extra.request = undefined;
        if (request === undefined) return false;
        ctx.extra.client = options.clientOf(request);
        // A socket that closed while it was being authenticated has had its onClose already: holding it would leak.
        if (ctx.extra.socket.readyState !== WebSocket.OPEN) return false;
        this.sockets.set(ctx.extra.socket, viewer);
        this.slots.get(ctx.extra.socket)?.authenticated();
        // Not randomUUID(): its text is a chain of a dozen concatenated strings, half a KiB held for the socket's life.
        ctx.extra.presenceId = `graphql-ws:${randomBytes(12).toString('base64url')}`;
        options.presence?.opened(viewer.user.id, ctx.extra.presenceId);
        return true;
      },
      onSubscribe: async (ctx) => {
        // graphql-ws has registered this subscription already, so the count includes it.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptions) {
          return [forbidden(`A socket holds at most ${limits.maxSubscriptions} subscriptions at once.`)];
        }
        // The session, not the access token: clients never reconnect just to refresh a token.
        // graphql-ws answers a subscribe before connection_init with 4401 itself, so a viewer is set here.
        const sessionId = (ctx.extra.viewer as Viewer | undefined)?.sessionId;
        if (sessionId === undefined) {
          ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
          return [forbidden('The session has ended.')];
        }
        let live: ReadonlySet<string>;
        try {
          live = await options.auth.liveSessions([sessionId]);
        } catch (error) {
          // Not known to have ended: the client reconnects and subscribes again (resumable ones lose nothing).
          options.logger.warn({ err: error }, 'could not check the session of a subscribe; asked to retry');
          ctx.extra.socket.close(CLOSE_TRY_AGAIN, SERVER_BUSY.message);
          return [new GraphQLError(SERVER_BUSY.message, { extensions: busyExtensions })];
        }
        if (live.has(sessionId)) return undefined;
        ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
        return [forbidden('The session has ended.')];
      },
      onNext: (ctx, _id, _payload, _args, result) => {
        // A client that stops reading is dropped, not buffered for without bound.
        if (ctx.extra.socket.bufferedAmount > limits.maxBufferedBytes) ctx.extra.socket.terminate();
        return result.errors
          ? { ...result, errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }
          : undefined;
      },
      // graphql-ws reports only document errors here (parse, validation), which carry no code of their own.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => {
          const formatted = error.toJSON();
          const extensions = { code: 'GRAPHQL_VALIDATION_FAILED', ...formatted.extensions };
          return options.formatError({ ...formatted, extensions }, error);
        }),
      onClose: (ctx) => {
        this.sockets.delete(ctx.extra.socket);
        const { viewer, presenceId } = ctx.extra;
        if (presenceId !== undefined && viewer !== undefined)
          options.presence?.closed(viewer.user.id, presenceId);
      },
    });
    this.wss.on('connection', (socket: WebSocket, request: IncomingMessage) => this.opened(socket, request));
    this.wss.on('error', (error) => options.logger.error({ err: error }, 'graphql-ws: server error'));
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  handles(pathname: string): boolean {
    return pathname === '/graphql';
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, slot?: SocketSlot): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      if (slot) this.slots.set(ws, slot);
      this.wss.emit('connection', ws, request);
    });
  }

  /** Closes the sockets of sessions that ended (logout, ban, password change). */
  closeSessions(revocation: SessionRevocation): void {
    this.closeWhere((viewer) => endsSession(revocation, viewer.user.id, viewer.sessionId));
  }

  /** Re-checks now the sessions holding sockets here (after a break of the bus, revocations may have been lost). */
  recheckSessions(): Promise<void> {
    return this.recheck.run();
  }

  /** Closes every socket (1001 Going away) and the server. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.recheck.stop();
    for (const socket of this.wss.clients) socket.close(1001, 'Going away');
    this.wss.removeAllListeners('connection');
    const closing = new Promise<void>((resolve, reject) =>
      this.wss.close((error) => (error ? reject(error) : resolve())),
    );
    await closeWithin(this.wss, closing);
  }

  /** Hands a new socket to graphql-ws's core, which owns it until it closes. */
  private opened(socket: WebSocket, request: IncomingMessage): void {
    const transport = new WsTransport(socket, this.options.logger);
    // A socket error (a bad frame, a reset) closes it, as with graphql-ws/use/ws; never an unhandled 'error'.
    socket.once('error', (error) => {
      this.options.logger.debug({ err: error }, 'graphql-ws: socket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    const state: SocketState = {
      socket,
      request,
      viewer: undefined,
      client: undefined,
      presenceId: undefined,
      initWait: undefined,
    };
    state.initWait = setTimeout(() => {
      state.initWait = undefined;
      socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }, CONNECTION_INIT_WAIT_MS);
    const closed = this.server.opened(transport, state);
    socket.once('close', (code: number, reason: Buffer) => {
      clearTimeout(state.initWait);
      state.initWait = undefined;
      closed(code, String(reason)).catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'graphql-ws: closing a socket failed'),
      );
    });
  }

  private closeWhere(ended: (viewer: Viewer) => boolean): void {
    for (const [socket, viewer] of this.sockets) {
      if (!ended(viewer)) continue;
      this.options.logger.debug({ userId: viewer.user.id }, 'closing the socket of an ended session');
      this.sockets.delete(socket);
      socket.close(CLOSE_FORBIDDEN, 'Forbidden');
    }
  }

  /** Closes a socket one of whose subscriptions fell too far behind, and cuts it off if it does not answer. */
  private fellBehind(socket: WebSocket): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    this.options.logger.debug('closing a graphql-ws socket whose client fell behind');
    socket.close(CLOSE_FELL_BEHIND, 'Fell behind; reconnect and resume');
    setTimeout(() => socket.terminate(), FELL_BEHIND_GRACE_MS).unref();
  }

  /** A WebSocket ping to every socket; one that has not answered within the timeout is dropped. */
  private ping(pongTimeoutSeconds: number): void {
    for (const socket of this.wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      const timeout = setTimeout(() => socket.terminate(), pongTimeoutSeconds * 1000);
      timeout.unref();
      // Both listeners go with the first of them: left behind, each ping would add two to every socket for its life.
      const answered = () => {
        clearTimeout(timeout);
        socket.off('pong', answered);
        socket.off('close', answered);
      };
      socket.once('pong', answered);
      socket.once('close', answered);
      socket.ping();
    }
  }
}

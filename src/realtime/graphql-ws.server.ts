import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  subscribe as graphqlSubscribe,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { endsSession, type SessionRevocation } from '../events/session-notices';
import { forbidden } from '../errors';
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
/**
 * Try Again Later: a subscription of the socket fell too far behind. graphql-ws clients reconnect from it, and a
 * resumable `realtimeEvents` subscription resumes after the last event it handled, so nothing is lost.
 */
const CLOSE_FELL_BEHIND = 1013;
/** A client that does not read never answers the close: it is cut off this long after. */
const FELL_BEHIND_GRACE_MS = 1000;

/**
 * The events of a subscription, ending quietly when its queue overflowed (SubscriptionQueueFull), after `overflowed`
 * has closed the socket; graphql-ws would otherwise take the error for a fault of the server (4500, not retried).
 */
function endingOnOverflow(
  source: AsyncIterable<ExecutionResult>,
  overflowed: () => void,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const ended: IteratorResult<ExecutionResult> = { done: true, value: undefined };
  return {
    next: () =>
      iterator.next().catch((error: unknown) => {
        if (!(error instanceof SubscriptionQueueFull)) throw error;
        overflowed();
        return ended;
      }),
    return: () => iterator.return?.() ?? Promise.resolve(ended),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
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

interface SocketState extends Record<PropertyKey, unknown> {
  viewer: Viewer;
  /** Whom per-IP throttles count the socket's operations against, read once from its upgrade request. */
  client: string;
  /** Names the socket to presence, which counts the user's open sockets. */
  presenceId?: string;
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
  private readonly disposable: { dispose(): void | Promise<void> };
  private readonly heartbeat: NodeJS.Timeout;
  private readonly recheck: SessionRecheck;
  /** Each socket's place in the per-client counts, until its connection_init is accepted. */
  private readonly slots = new WeakMap<WebSocket, SocketSlot>();
  /** The socket each operation's context belongs to, so an overflowing subscription can close it. */
  private readonly socketOfContext = new WeakMap<object, WebSocket>();

  constructor(private readonly options: GraphQLWebSocketOptions) {
    const limits = options.limits ?? DEFAULT_LIMITS;
    // Bigger frames close the socket (1009) before they are parsed: a huge connection_init is never read.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
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
    this.disposable = useServer<Record<string, unknown>, SocketState>(
      {
        schema: options.schema,
        validate: validateWithLimits(options.validationRules ?? []),
        // Every subscriber sends the same few queries: one parsed document each, shared.
        parse: cachingParse(),
        context: (ctx) => {
          const context = options.context(ctx.extra.viewer as Viewer, ctx.extra.client as string);
          this.socketOfContext.set(context, ctx.extra.socket);
          return context;
        },
        subscribe: async (args) => {
          const result = await graphqlSubscribe(args);
          if (!(Symbol.asyncIterator in result)) return result;
          const socket = this.socketOfContext.get(args.contextValue as object);
          return endingOnOverflow(result, () => socket && this.fellBehind(socket));
        },
        onConnect: async (ctx) => {
          const params = ctx.connectionParams ?? {};
          const token = bearerToken(params.authorization ?? params.Authorization);
          if (token === undefined) return false;
          try {
            ctx.extra.viewer = await options.auth.authenticate(token);
          } catch {
            return false;
          }
          // The upgrade request is needed only for the address: held for the socket's life it would cost a few KiB.
          ctx.extra.client = options.clientOf(ctx.extra.request);
          (ctx.extra as { request?: IncomingMessage }).request = undefined;
          // A socket that closed while it was being authenticated has had its onClose already: holding it would leak.
          if (ctx.extra.socket.readyState !== WebSocket.OPEN) return false;
          this.sockets.set(ctx.extra.socket, ctx.extra.viewer);
          this.slots.get(ctx.extra.socket)?.authenticated();
          ctx.extra.presenceId = `graphql-ws:${randomUUID()}`;
          options.presence?.opened(ctx.extra.viewer.user.id, ctx.extra.presenceId);
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
          const live =
            sessionId === undefined
              ? undefined
              : await options.auth.liveSessions([sessionId]).catch(() => undefined);
          if (sessionId !== undefined && live?.has(sessionId)) return undefined;
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
      },
      this.wss,
      // This server pings on its own schedule (pingIntervalSeconds): graphql-ws's 12 s keep-alive would add a
      // second timer per socket and override that setting.
      0,
    );
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
    await closeWithin(this.wss, Promise.resolve(this.disposable.dispose()));
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
      socket.once('pong', () => clearTimeout(timeout));
      socket.once('close', () => clearTimeout(timeout));
      socket.ping();
    }
  }
}

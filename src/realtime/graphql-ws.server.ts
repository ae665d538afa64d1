import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SessionRevocation } from '../events/session-notices';
import type { GraphQLContext } from '../graphql/context';
import { bearerToken } from '../http/bearer-token';
import type { Logger } from '../logger';
import type { AuthService } from '../services/auth.service';
import type { Viewer } from '../services/viewer';

/** graphql-ws closes with 4403 Forbidden when onConnect refuses; ended sessions get the same code. */
const CLOSE_FORBIDDEN = 4403;

interface SocketState extends Record<PropertyKey, unknown> {
  viewer: Viewer;
  token: string;
}

export interface GraphQLWebSocketOptions {
  readonly schema: GraphQLSchema;
  readonly auth: AuthService;
  /** The context of one operation on a socket authenticated as `viewer`. */
  readonly context: (viewer: Viewer) => GraphQLContext;
  readonly logger: Logger;
  /** The same formatting HTTP responses get, so a socket never carries a stack trace or SQL text either. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/**
 * GraphQL subscriptions over graphql-ws (`graphql-transport-ws`) at `/graphql`. A socket authenticates once with
 * `connectionParams.authorization`, every subscribe re-checks the token, and sockets of ended sessions close.
 */
export class GraphQLWebSocketServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<WebSocket, Viewer>();
  private readonly disposable: { dispose(): void | Promise<void> };

  constructor(private readonly options: GraphQLWebSocketOptions) {
    this.disposable = useServer<Record<string, unknown>, SocketState>(
      {
        schema: options.schema,
        context: (ctx) => options.context(ctx.extra.viewer as Viewer),
        onConnect: async (ctx) => {
          const params = ctx.connectionParams ?? {};
          const token = bearerToken(params.authorization ?? params.Authorization);
          if (token === undefined) return false;
          try {
            ctx.extra.viewer = await options.auth.authenticate(token);
            ctx.extra.token = token;
          } catch {
            return false;
          }
          this.sockets.set(ctx.extra.socket, ctx.extra.viewer);
          return true;
        },
        onSubscribe: async (ctx) => {
          try {
            ctx.extra.viewer = await options.auth.authenticate(ctx.extra.token as string);
            return undefined;
          } catch (error) {
            ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
            return [error instanceof GraphQLError ? error : new GraphQLError('Forbidden')];
          }
        },
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors
            ? { ...result, errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }
            : undefined,
        // graphql-ws reports only document errors here (parse, validation), which carry no code of their own.
        onError: (_ctx, _id, _payload, errors) =>
          errors.map((error) => {
            const formatted = error.toJSON();
            const extensions = { code: 'GRAPHQL_VALIDATION_FAILED', ...formatted.extensions };
            return options.formatError({ ...formatted, extensions }, error);
          }),
        onClose: (ctx) => {
          this.sockets.delete(ctx.extra.socket);
        },
      },
      this.wss,
    );
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  handles(pathname: string): boolean {
    return pathname === '/graphql';
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /** Closes the sockets of sessions that ended (logout, ban, password change). */
  closeSessions(revocation: SessionRevocation): void {
    for (const [socket, viewer] of this.sockets) {
      if (viewer.user.id !== revocation.userId) continue;
      if (revocation.only !== undefined && viewer.sessionId !== revocation.only) continue;
      if (revocation.except !== undefined && viewer.sessionId === revocation.except) continue;
      this.options.logger.debug({ userId: viewer.user.id }, 'closing the socket of an ended session');
      socket.close(CLOSE_FORBIDDEN, 'Forbidden');
    }
  }

  /** Closes every socket (1001 Going away) and the server. */
  async close(): Promise<void> {
    await this.disposable.dispose();
  }
}

import { GraphQLError } from 'graphql';

/** The error codes clients rely on (`extensions.code`). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'CURSOR_EXPIRED';

/** A refusal meant for the client: its message and code are shown as they are. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'You must be logged in to do this.'): AppError =>
  new AppError('UNAUTHENTICATED', message);

export const forbidden = (message = 'You are not allowed to do this.'): AppError =>
  new AppError('FORBIDDEN', message);

export const badInput = (field: string, message: string): AppError =>
  new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });

export const notFound = (what: string, id: number | string): AppError =>
  new AppError('NOT_FOUND', `${what} ${id} was not found.`);

export const conflict = (field: string, message: string): AppError =>
  new AppError('CONFLICT', `${field}: ${message}`, { field });

/** A throttled attempt; `retryAfter` is how many seconds the client should wait before trying again. */
export const tooManyRequests = (retryAfterSeconds: number): AppError =>
  new AppError('TOO_MANY_REQUESTS', `Too many attempts; try again in ${retryAfterSeconds} seconds.`, {
    retryAfter: retryAfterSeconds,
  });

/**
 * What a client is told when the database gave up on its request in time (a statement or lock timeout): a fault of
 * the server's, so `INTERNAL_SERVER_ERROR` in GraphQL and 503 on the legacy routes, with the seconds to wait in the
 * field throttling uses (`retryAfter`, the `Retry-After` header).
 */
export const SERVER_BUSY = {
  message: 'The server is busy; try again shortly.',
  retryAfterSeconds: 1,
} as const;

/** A resume from an event id whose following events are past retention: the client must refetch instead. */
/** A position no event ever had: the database was restored from before it, or the id was made up. */
export const cursorAhead = (field: string): AppError =>
  new AppError(
    'CURSOR_EXPIRED',
    `${field}: this id is past the newest event (was the database restored?); refetch, then resume from the lastId of realtimeEvents without after.`,
    { field },
  );

export const cursorExpired = (field: string, retentionHours: number): AppError =>
  new AppError(
    'CURSOR_EXPIRED',
    `${field}: events after this id are older than the ${retentionHours} hours they are kept; refetch, then resume from the lastId of realtimeEvents without after.`,
    { field, retentionHours },
  );

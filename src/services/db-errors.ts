import { QueryFailedError } from 'typeorm';

/** The constraint a unique violation (SQLSTATE 23505) hit, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string; detail?: string };
  if (driverError.code !== '23505') return undefined;
  return `${driverError.constraint ?? ''} ${driverError.detail ?? ''}`;
}

/** Whether the error is a foreign key violation (SQLSTATE 23503) on the given column. */
export function foreignKeyViolation(error: unknown, column: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; detail?: string };
  return driverError.code === '23503' && (driverError.detail ?? '').includes(`(${column})=`);
}

// query_canceled (statement_timeout, or a cancel) and lock_not_available (lock_timeout).
const TIMEOUT_CODES = new Set(['57014', '55P03']);

/**
 * Whether the error, or one it wraps, is PostgreSQL giving up on a statement in DATABASE_STATEMENT_TIMEOUT or on a
 * lock in DATABASE_LOCK_TIMEOUT: nothing was wrong with the request, and the same one may succeed shortly.
 */
export function databaseTimeout(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth += 1) {
    const driverError: unknown = cause instanceof QueryFailedError ? cause.driverError : cause;
    const code = (driverError as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return true;
    cause = (cause as { originalError?: unknown }).originalError ?? cause.cause;
  }
  return false;
}

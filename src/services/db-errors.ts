import { QueryFailedError } from 'typeorm';

/** The constraint a unique violation (SQLSTATE 23505) hit, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string; detail?: string };
  if (driverError.code !== '23505') return undefined;
  return `${driverError.constraint ?? ''} ${driverError.detail ?? ''}`;
}

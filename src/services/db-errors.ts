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

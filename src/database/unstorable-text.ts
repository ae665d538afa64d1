import { QueryFailedError } from 'typeorm';

/** What both APIs answer when PostgreSQL cannot store a text the client sent. */
export const UNSTORABLE_TEXT_MESSAGE = 'Text must not contain NUL (\\u0000) characters.';

/**
 * Whether PostgreSQL refused a string it cannot store (SQLSTATE 22021, e.g. a NUL character): the client's input,
 * in any argument, not a fault of the server.
 */
export function unstorableText(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '22021';
}

import { unwrapResolverError } from '@apollo/server/errors';
import type { ValidationError } from 'class-validator';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { UNSTORABLE_TEXT_MESSAGE, unstorableText } from '../database/unstorable-text';
import { AppError, SERVER_BUSY } from '../errors';
import type { Logger } from '../logger';
import { databaseTimeout } from '../services/db-errors';

// Codes of refusals caused by the request itself; anything else is a fault of the server.
const CLIENT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'CURSOR_EXPIRED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Every constraint message of a class-validator tree, each naming its field by its path. */
function describe(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: prefix === '' ? message : `${prefix}${message}`,
    }));
    return [...own, ...describe(error.children ?? [], `${field}.`)];
  });
}

/**
 * Apollo refuses some malformed requests (a persisted-query hash that does not match, an unknown version) with an
 * error that has an HTTP 4xx status but no code: the client's fault, not the server's.
 */
function refusedByApollo(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return error.extensions.code === undefined && typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * graphql-js coerces a field's arguments as it executes it; a `null` sent through a variable to a non-null argument
 * with a default is refused there, with no code of its own. It is the client's input, not a fault of the server.
 */
const ARGUMENT_COERCION =
  /^Argument "[^"]+" (of non-null type "[^"]+" must not be null|of required type "[^"]+" was not provided|has invalid value .*)\.$/;

/**
 * Client refusals keep their message and code; server faults are logged and, outside development, reduced to a
 * generic message, so no stack trace or SQL text reaches a client. A database timeout says, in every mode, that the
 * server is busy and when to retry.
 */
export function createErrorFormatter(logger: Logger, exposeInternals: boolean, hideSuggestions = false) {
  const format = formatWith(logger, exposeInternals);
  if (!hideSuggestions) return format;
  // Apollo's hideSchemaDetailsFromClientErrors covers HTTP only; graphql-ws errors pass through here alone.
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return { ...result, message: withoutSuggestions(result.message) };
  };
}

/** "Did you mean …" names fields and types, which a schema without introspection should not reveal. */
const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean(.+?)\?$/, '');

function formatWith(logger: Logger, exposeInternals: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ArgumentValidationError) {
      const problems = describe(original.extensions.validationErrors as ValidationError[]);
      return {
        message: `Invalid input: ${problems.map((p) => p.message).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', fields: [...new Set(problems.map((p) => p.field))] },
      };
    }
    if (unstorableText(original)) {
      return {
        message: UNSTORABLE_TEXT_MESSAGE,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    if (refusedByApollo(original)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return {
        ...formatted,
        extensions: { ...(exposeInternals ? formatted.extensions : extensions), code: 'BAD_REQUEST' },
      };
    }
    const code = String(formatted.extensions?.code ?? '');
    if (code === 'INTERNAL_SERVER_ERROR' && ARGUMENT_COERCION.test(formatted.message)) {
      return {
        message: formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    if (original instanceof AppError || CLIENT_CODES.has(code)) {
      if (exposeInternals) return formatted;
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (databaseTimeout(original)) {
      logger.warn({ err: original, path: formatted.path }, 'GraphQL operation timed out in the database');
      return {
        message: SERVER_BUSY.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', retryAfter: SERVER_BUSY.retryAfterSeconds },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'GraphQL operation failed');
    if (exposeInternals) return formatted;
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

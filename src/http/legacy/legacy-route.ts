import type { AppError } from '../../errors';
import type { Viewer } from '../../services/viewer';

/** Laravel's `$request->all()`: the query string merged with the body, the body winning. */
export type LegacyInput = Readonly<Record<string, unknown>>;

/** What a route handler gets from one request. */
export interface LegacyCall {
  readonly input: LegacyInput;
  /** The path parameters, e.g. `id` of `/user/:id`. */
  readonly params: Readonly<Record<string, string>>;
  /** The client address the per-IP throttles count, as TRUST_PROXY resolves it. */
  readonly client: string;
  /** The request URL without its query string (Laravel's paginator `path`). */
  readonly url: string;
  /** The authenticated caller; never null on a route with `auth: 'required'`. */
  readonly viewer: Viewer | null;
}

export interface AuthedCall extends LegacyCall {
  readonly viewer: Viewer;
}

/** The HTTP answer of a route: status 200 unless it says otherwise. */
export interface LegacyAnswer {
  readonly status?: number;
  readonly body: unknown;
}

/** One request parameter, for the OpenAPI description. */
export interface LegacyField {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly type?: 'string' | 'integer';
  readonly enum?: readonly string[];
}

interface LegacyRouteBase {
  readonly method: 'get' | 'post';
  /** The express path under `/api`, e.g. `/admin/user/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly fields: readonly LegacyField[];
  /**
   * The `message` of the error envelope when a service refuses (the controller's `catch`), as a text or made from
   * the refusal.
   */
  readonly failure: string | ((error: AppError) => string);
  /** Whether the error envelope carries the refusal's text as `error`, as most controllers' `catch` did. */
  readonly errorDetail: boolean;
  /** The JSON Schema of the success body, for the OpenAPI description. */
  readonly answers: Record<string, unknown>;
  /** Other answers of the route by HTTP status (e.g. the login's 422), for the OpenAPI description. */
  readonly otherAnswers?: Record<
    string,
    { readonly description: string; readonly schema: Record<string, unknown> }
  >;
}

/** A legacy route: what it reads, who may call it, and the handler that calls the services. */
export type LegacyRoute = LegacyRouteBase &
  (
    | { readonly auth: 'required'; handle(call: AuthedCall): Promise<LegacyAnswer> }
    | { readonly auth: 'optional' | 'none'; handle(call: LegacyCall): Promise<LegacyAnswer> }
  );

/** The legacy success envelope `{success: true, message, ...}`. */
export function ok(message: string, data: Record<string, unknown> = {}, status = 200): LegacyAnswer {
  return { status, body: { success: true, message, ...data } };
}

/** The legacy error envelope `{success: false, message[, error]}`, answered with HTTP 200 as the `catch` blocks did. */
export function refused(message: string, error?: string): LegacyAnswer {
  return { body: { success: false, message, ...(error === undefined ? {} : { error }) } };
}

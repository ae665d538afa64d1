/** An answer of a legacy route: the status and the JSON body. */
export interface LegacyResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

type Fields = Record<string, string | number>;

/**
 * An HTTP client as the legacy web and mobile apps call the Laravel routes: form-encoded POST bodies, query
 * strings on GET, `Authorization: Bearer` and `Accept: application/json`.
 */
export class LegacyHttpClient {
  constructor(readonly baseUrl: string) {}

  async post<T = Record<string, unknown>>(
    path: string,
    fields: Fields = {},
    token?: string,
  ): Promise<LegacyResponse<T>> {
    return this.send<T>('POST', path, {
      body: new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth(token) },
    });
  }

  async get<T = Record<string, unknown>>(
    path: string,
    query: Fields = {},
    token?: string,
  ): Promise<LegacyResponse<T>> {
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return this.send<T>('GET', search === '' ? path : `${path}?${search}`, { headers: auth(token) });
  }

  async send<T = Record<string, unknown>>(
    method: string,
    path: string,
    init: { body?: string | FormData; headers?: Record<string, string> } = {},
  ): Promise<LegacyResponse<T>> {
    const response = await fetch(`${this.baseUrl}/api${path}`, {
      method,
      body: init.body,
      headers: { accept: 'application/json', ...init.headers },
    });
    const text = await response.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new Error(
        `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    return { status: response.status, body, headers: response.headers };
  }
}

const auth = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

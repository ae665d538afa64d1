/** A GraphQL error as a client sees it. */
export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; stacktrace?: unknown; [key: string]: unknown };
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: GqlError[];
}

/** A plain HTTP GraphQL client, as any Apollo or curl user would send requests. */
export class GraphQLClient {
  constructor(readonly endpoint: string) {}

  async request<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResult<T>> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GqlResult<T>, 'status'>;
    return { status: response.status, ...body };
  }

  /** Runs an operation that must succeed and returns its data. */
  async ok<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<T> {
    const result = await this.request<T>(query, variables, token);
    if (result.errors !== undefined || result.data === undefined || result.data === null) {
      throw new Error(`Expected success, got ${JSON.stringify(result.errors ?? result)}`);
    }
    return result.data;
  }

  /** Runs an operation that must be refused and returns its first error. */
  async fails(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlError> {
    const result = await this.request(query, variables, token);
    const error = result.errors?.[0];
    if (error === undefined) throw new Error(`Expected an error, got ${JSON.stringify(result.data)}`);
    return error;
  }
}

import type { Fetcher, FetcherParams } from '@graphiql/toolkit';
import { type ExecutionResult, type OperationDefinitionNode, parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';

const httpUrl = new URL('/graphql', window.location.href).toString();
const wsUrl = httpUrl.replace(/^http/, 'ws');

interface ChosenOperation {
  readonly name: string | undefined;
  readonly isSubscription: boolean;
}

/**
 * The operation GraphiQL means to run. Right after a tab switch it may still pass the previous tab's operation
 * name, which the new document does not have; then the document's only (or first) operation is meant.
 */
function chooseOperation(params: FetcherParams): ChosenOperation {
  try {
    const operations = parse(params.query).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
    const chosen = operations.find((o) => o.name?.value === params.operationName) ?? operations[0];
    return { name: chosen?.name?.value, isSubscription: chosen?.operation === 'subscription' };
  } catch {
    // An unparsable document goes to the server as it is, which answers with the syntax error.
    return { name: params.operationName ?? undefined, isSubscription: false };
  }
}

// One socket per Authorization value: the server authenticates a socket once, when it connects.
const sockets = new Map<string, Client>();
function socketFor(authorization: string): Client {
  let client = sockets.get(authorization);
  if (!client) {
    client = createClient({ url: wsUrl, connectionParams: authorization ? { authorization } : {} });
    sockets.set(authorization, client);
  }
  return client;
}

/**
 * Queries and mutations over HTTP, subscriptions over graphql-ws, both with the headers editor's Authorization.
 * `onToken` receives the access token of a login, register or refreshToken result.
 */
export function createFetcher(onToken: (token: string) => void): Fetcher {
  let lastToken: string | undefined;
  return async (params, options) => {
    const headers = { ...((options?.headers ?? {}) as Record<string, string>) };
    // A tab still showing the placeholder uses the token of the last login, in whichever tab it ran.
    if (/^Bearer <.*>$/.test(headers.Authorization ?? '')) {
      if (lastToken) headers.Authorization = `Bearer ${lastToken}`;
      else delete headers.Authorization;
    }
    const authorization = headers.Authorization ?? headers.authorization ?? '';
    const operation = chooseOperation(params);
    const request = {
      query: params.query,
      variables: params.variables ?? undefined,
      operationName: operation.name,
    };
    if (operation.isSubscription) {
      // Results arrive as JSON, which is what GraphiQL shows; its type wants live GraphQLError objects.
      return socketFor(authorization).iterate(request) as unknown as AsyncIterable<ExecutionResult>;
    }
    const response = await fetch(httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(request),
    });
    const result = (await response.json()) as ExecutionResult<
      Record<string, { accessToken?: unknown } | null>
    >;
    for (const value of Object.values(result.data ?? {})) {
      if (typeof value?.accessToken === 'string') {
        lastToken = value.accessToken;
        onToken(value.accessToken);
      }
    }
    return result;
  };
}

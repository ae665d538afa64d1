import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createUser } from '../fixtures/users';
import { resetDatabase, startTestServer, type TestServer } from '../support/test-server';
import { EXAMPLE_TABS } from '../../web/graphiql/examples';

const INTROSPECTION = '{ __schema { queryType { name } } }';
const production = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-jwt-secret-that-is-long-enough',
  ADMIN_EMAIL: 'boss@example.com',
  ADMIN_PASSWORD: 'a-long-production-password-of-32-chars',
  PUSHER_APP_ID: 'app-id',
  PUSHER_APP_KEY: 'app-key',
  PUSHER_APP_SECRET: 'a-production-pusher-secret-of-32-chars',
};

const html = (url: string) => fetch(url, { headers: { accept: 'text/html' } });

async function withServer(
  env: Record<string, string>,
  check: (t: TestServer) => Promise<void>,
): Promise<void> {
  if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
  const t = await startTestServer({ env });
  try {
    await check(t);
  } finally {
    await t.close();
  }
}

it('in development, /graphql in a browser is Apollo Sandbox for this endpoint and its subscriptions', async () => {
  await withServer({}, async (t) => {
    const page = await html(`${t.url}/graphql`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('EmbeddedSandbox');
    expect(text).toContain('initialSubscriptionEndpoint');
    expect(text).toContain('href="/graphiql/"');
    const introspection = await t.client.request(INTROSPECTION);
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect((await fetch(`${t.url}/graphiql/`)).status).toBe(200);
    expect((await fetch(`${t.url}/test/listen/`)).status).toBe(200);
    expect(await (await fetch(`${t.url}/test/listen/pusher.json`)).json()).toEqual({
      key: 'app-key',
      cluster: 'mt1',
      forceTLS: false,
    });
  });
});

it('in production there is no sandbox, introspection, GraphiQL or listen page', async () => {
  await withServer(production, async (t) => {
    expect(await (await html(`${t.url}/graphql`)).text()).not.toContain('EmbeddedSandbox');
    const introspection = await t.client.request(INTROSPECTION);
    expect(introspection.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await fetch(`${t.url}/graphiql/`)).status).toBe(404);
    expect((await fetch(`${t.url}/test/listen/`)).status).toBe(404);
  });
});

/** The validation errors graphql-ws answers a subscribe with. */
async function wsErrors(url: string, token: string, query: string): Promise<{ message: string }[]> {
  const client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  try {
    return await new Promise((resolve, reject) => {
      client.subscribe(
        { query },
        {
          next: () => reject(new Error('expected a validation error')),
          error: (error) => resolve(error as { message: string }[]),
          complete: () => reject(new Error('expected a validation error')),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

const MISSPELT = 'subscription { messageCreatd { id } }';

it('in development a misspelt field gets a suggestion, on HTTP and on graphql-ws', async () => {
  await withServer({}, async (t) => {
    const user = await createUser(t.client);
    const http = await t.client.fails('{ mee { id } }', {}, user.token);
    expect(http.message).toContain('Did you mean "me"?');
    const [ws] = await wsErrors(t.url, user.token, MISSPELT);
    expect(ws.message).toContain('Did you mean "messageCreated"');
  });
});

it('in production a misspelt field gets no suggestion, on HTTP or on graphql-ws', async () => {
  await withServer(production, async (t) => {
    const user = await createUser(t.client);
    const http = await t.client.fails('{ mee { id } }', {}, user.token);
    expect(http.message).toBe('Cannot query field "mee" on type "Query".');
    expect(http.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const [ws] = await wsErrors(t.url, user.token, MISSPELT);
    expect(ws.message).toBe('Cannot query field "messageCreatd" on type "Subscription".');
  });
});

it('in production GRAPHQL_SANDBOX and LISTEN_PAGE turn them on', async () => {
  await withServer({ ...production, GRAPHQL_SANDBOX: 'true', LISTEN_PAGE: 'true' }, async (t) => {
    expect(await (await html(`${t.url}/graphql`)).text()).toContain('EmbeddedSandbox');
    expect((await t.client.request(INTROSPECTION)).errors).toBeUndefined();
    expect((await fetch(`${t.url}/graphiql/`)).status).toBe(200);
    expect((await fetch(`${t.url}/test/listen/`)).status).toBe(200);
  });
});

it('tells the listen page where an outside Pusher service is', async () => {
  const outside = {
    PUSHER_HOST: 'soketi.example.internal',
    PUSHER_PORT: '6001',
    PUSHER_USE_TLS: 'true',
    PUSHER_APP_ID: 'id',
    PUSHER_APP_KEY: 'outside-key',
    PUSHER_APP_SECRET: 'secret',
  };
  await withServer(outside, async (t) => {
    expect(await (await fetch(`${t.url}/test/listen/pusher.json`)).json()).toEqual({
      key: 'outside-key',
      cluster: 'mt1',
      wsHost: 'soketi.example.internal',
      wsPort: 6001,
      forceTLS: true,
    });
  });
});

it('every GraphiQL example tab is valid against the schema, including the resume and unread-count tabs', () => {
  const schema = buildSchema(readFileSync(path.join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
  const queries = EXAMPLE_TABS.map((tab) => tab.query);
  expect(queries.some((query) => query.includes('realtimeEvents(after: $after)'))).toBe(true);
  expect(queries.some((query) => query.includes('unreadCountsChanged'))).toBe(true);
  for (const query of queries) expect(validate(schema, parse(query))).toEqual([]);
});

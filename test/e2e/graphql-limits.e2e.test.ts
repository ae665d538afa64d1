import { getIntrospectionQuery } from 'graphql';
import { ADMIN, createUser, LOGIN, newUserInput, type TestUser } from '../fixtures/users';
import { QueryCounter } from '../support/query-counter';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';

const counter = new QueryCounter();
let t: TestServer;
let user: TestUser;

beforeAll(async () => {
  t = await startTestServer({ queryLogger: counter });
  user = await createUser(t.client);
});
afterAll(async () => {
  await t.close();
});

const USERS_COUNT = 'query { users(first: 100) { id } }';

function aliased(count: number, field: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join('\n');
}

it('refuses 2,000 aliased searchUsers before any SQL runs', async () => {
  const query = `query { ${aliased(2000, () => 'searchUsers(query: "@") { id email }')} }`;
  let result: Awaited<ReturnType<typeof t.client.request>> | undefined;
  const statements = await counter.during(async () => {
    result = await t.client.request(query, {}, user.token);
  });
  expect(result?.status).toBe(400);
  expect(result?.data).toBeUndefined();
  expect(result?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(result?.errors?.map((e) => e.message).join(' ')).toMatch(/2000 aliases; at most 30/);
  expect(statements).toBe(0);
});

it('refuses 50 aliased register mutations and creates no account', async () => {
  const admin = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, ADMIN);
  const before = await t.client.ok<{ users: unknown[] }>(USERS_COUNT, {}, admin.login.accessToken);
  const inputs = Array.from({ length: 50 }, () => newUserInput());
  const fields = aliased(50, (i) => `register(input: $i${i}) { accessToken }`);
  const variables = Object.fromEntries(inputs.map((input, i) => [`i${i}`, input]));
  const declared = inputs.map((_, i) => `$i${i}: RegisterInput!`).join(', ');
  const result = await t.client.request(`mutation (${declared}) { ${fields} }`, variables);
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const after = await t.client.ok<{ users: unknown[] }>(USERS_COUNT, {}, admin.login.accessToken);
  expect(after.users).toHaveLength(before.users.length);
  for (const input of inputs.slice(0, 3)) {
    const login = await t.client.request(LOGIN, { email: input.email, password: input.password });
    expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
});

it('allows one register or login per request, even within the alias limit', async () => {
  const query = `mutation { a: login(email: "${user.email}", password: "${user.password}") { accessToken }
    b: login(email: "${user.email}", password: "wrong-password-x") { accessToken } }`;
  const result = await t.client.request(query);
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.message).toMatch(/only one register or login/);
  expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
});

it('refuses too many root fields, even without aliases through fragments', async () => {
  const result = await t.client.request(`query { ${aliased(21, () => 'me { id }')} }`, {}, user.token);
  expect(result.status).toBe(400);
  expect(result.errors?.map((e) => e.message).join(' ')).toMatch(/21 root fields; at most 20/);
});

it('refuses a query nested deeper than the limit, also through fragments', async () => {
  let nested = 'id';
  for (let i = 0; i < 6; i++) nested = `sender { receiver { ${nested} } }`;
  const query = `query { ...F } fragment F on Query { conversations { lastMessage { ${nested} } } }`;
  const result = await t.client.request(query, {}, user.token);
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(result.errors?.[0]?.message).toMatch(/nested too deeply; at most 10/);
});

it('refuses a query whose estimated cost is over the limit, and runs a legitimate large one', async () => {
  const conversation = `conversation(otherUserId: "${user.id}", first: 100) { id sender { id name } receiver { id name } }`;
  const large = await t.client.request(`query { ${aliased(5, () => conversation)} }`, {}, user.token);
  expect(large.status).toBe(200);
  expect(large.errors).toBeUndefined();
  const costly = await t.client.request(`query { ${aliased(15, () => conversation)} }`, {}, user.token);
  expect(costly.status).toBe(400);
  expect(costly.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(costly.errors?.[0]?.message).toMatch(/too expensive \(estimated cost over 5000\)/);
  // A page size in a variable counts as the largest page, since validation cannot see the variable's value.
  const byVariable = `conversation(otherUserId: "${user.id}", first: $first) { id sender { id name } receiver { id name } }`;
  const query = `query ($first: Int!) { ${aliased(8, () => byVariable)} }`;
  const hidden = await t.client.request(query, { first: 1 }, user.token);
  expect(hidden.status).toBe(400);
  expect(hidden.errors?.[0]?.message).toMatch(/too expensive/);
});

it('answers a subscription sent over HTTP with a clear client error', async () => {
  const result = await t.client.request('subscription { messageCreated { id } }', {}, user.token);
  // Before this refusal Apollo answered 200 with INTERNAL_SERVER_ERROR from the subscription resolver.
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  expect(result.errors?.[0]?.message).toBe(
    'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql.',
  );
});

it('applies the same limits on graphql-ws', async () => {
  const socket = new SubscriptionClient(t.url, user.token);
  try {
    let nested = 'id';
    for (let i = 0; i < 6; i++) nested = `sender { receiver { ${nested} } }`;
    await socket.subscribe('messageCreated', `subscription { messageCreated { ${nested} } }`);
    const failures = socket.failures('messageCreated') as {
      message: string;
      extensions?: { code?: string };
    }[][];
    const errors = failures.flat();
    expect(errors[0]?.message).toMatch(/nested too deeply/);
    expect(errors[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  } finally {
    await socket.close();
  }
});

it('refuses HTTP batches, so limits cannot be spread over several operations of one request', async () => {
  const input = newUserInput();
  const operation = {
    query: 'mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }',
    variables: { input },
  };
  const response = await fetch(t.client.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([operation, operation]),
  });
  expect(response.status).toBe(400);
  const login = await t.client.request(LOGIN, { email: input.email, password: input.password });
  expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

it('refuses, without expanding it, a few hundred bytes of fragments that would flatten to 2^30 fields', async () => {
  // Each fragment spreads the next twice: walked naively this request would block the server for hours.
  const depth = 30;
  let query = '{ ...F0 }\n';
  for (let i = 0; i < depth; i++) query += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  query += `fragment F${depth} on Query { __typename }\n`;
  const result = await t.client.request(query);
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(result.errors?.map((e) => e.message).join(' ')).toMatch(/more than 20000 fields/);
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
});

it('answers a persisted-query hash that does not match, or an unknown version, as a bad request', async () => {
  for (const persistedQuery of [
    { version: 1, sha256Hash: 'not-the-hash' },
    { version: 2, sha256Hash: 'not-the-hash' },
  ]) {
    const response = await fetch(t.client.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery } }),
    });
    const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(answer.errors[0].extensions.code).toBe('BAD_REQUEST');
  }
});

it('runs the standard introspection query GraphiQL sends, and bounds one that recurses through types', async () => {
  const standard = getIntrospectionQuery({
    descriptions: true,
    inputValueDeprecation: true,
    schemaDescription: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
  });
  const introspected = await t.client.request(standard);
  expect(introspected.errors).toBeUndefined();
  expect(introspected.status).toBe(200);

  // Each type's fields have types with fields of their own: without a depth bound this recursion has no end.
  const levels = 6;
  const recursive = `{ __schema { types { ${'fields { type { '.repeat(levels)}name${' } }'.repeat(levels)} } } }`;
  const refused = await t.client.request(recursive);
  expect(refused.status).toBe(400);
  expect(refused.errors?.[0]?.message).toMatch(/nested too deeply/);
});

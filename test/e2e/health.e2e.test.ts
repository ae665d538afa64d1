import { startTestServer, type TestServer } from '../support/test-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

it('answers /healthz and /readyz once migrations are applied', async () => {
  const health = await fetch(`${t.url}/healthz`);
  expect(health.status).toBe(200);
  const ready = await fetch(`${t.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready' });
});

it('answers /readyz with 503 when the database is gone', async () => {
  const other = await startTestServer();
  await other.server.database.dataSource.destroy();
  const ready = await fetch(`${other.url}/readyz`);
  expect(ready.status).toBe(503);
  expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
  await other.close();
});

it('refuses a request that is not GraphQL with a clear 400', async () => {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query": ',
  });
  expect(response.status).toBe(400);
  const empty = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query { nope }' }),
  });
  expect(empty.status).toBe(400);
  const body = (await empty.json()) as { errors: { extensions: { code: string } }[] };
  expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
});

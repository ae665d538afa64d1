import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/test-server';

const TOKEN = 'a-metrics-token-for-the-scraper';

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => server.close());

  const scrape = (token?: string) =>
    fetch(`${server.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('refuses a scrape without the token or with a wrong one', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-the-metrics-token-at-all')).status).toBe(401);
  });

  it('counts requests by operation and outcome, and open sockets by kind', async () => {
    await server.client.request('query Me { me { id } }');
    await server.client.request(
      'mutation Login { login(email: "nobody@example.com", password: "wrong-password") { accessToken } }',
    );
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/app/app-key?protocol=7`);
    await new Promise((resolve) => socket.once('message', resolve));
    try {
      const response = await scrape(TOKEN);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toMatch(/graphql_http_requests_total\{operation="Me",outcome="[A-Z_]+"\} 1/);
      expect(text).toMatch(/graphql_http_requests_total\{operation="Login",outcome="(?!ok)[A-Z_]+"\} 1/);
      expect(text).toContain('open_sockets{kind="pusher"} 1');
      expect(text).toContain('open_sockets{kind="graphql-ws"} 0');
    } finally {
      socket.close();
    }
  });
});

describe('the operation label', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { METRICS_MAX_OPERATIONS: '3', METRICS_OPERATION_NAME_MAX_LENGTH: '12' },
    });
  });
  afterAll(() => server.close());

  const post = (query: string, operationName?: string) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, operationName }),
    });

  it('stays bounded under a flood of distinct operation names, whatever the client sends', async () => {
    const flood: Promise<Response>[] = [];
    for (let i = 0; i < 25; i += 1) {
      // Names the document defines: only the first three get a series of their own.
      flood.push(post(`query Named${i} { __typename }`));
      // Names the document does not define, and documents that do not parse.
      flood.push(post('query Defined { __typename }', `Undefined${i}${'x'.repeat(2000)}`));
      flood.push(post(`query Broken${i} {`, `Broken${i}`));
    }
    flood.push(post(`query ${'Long'.repeat(100)} { __typename }`));
    flood.push(post('{ __typename }'));
    await Promise.all(flood);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    const operations = new Set(
      [...text.matchAll(/^graphql_http_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1] as string),
    );
    expect(operations.size).toBeLessThanOrEqual(3 + 3);
    for (const label of operations) expect(label.length).toBeLessThanOrEqual(12);
    expect(operations).toContain('invalid');
    expect(operations).toContain('other');
    expect(operations).toContain('anonymous');
    expect(
      [...operations].filter((label) => !['invalid', 'other', 'anonymous'].includes(label)),
    ).toHaveLength(3);
    expect(text).not.toContain('Undefined');
    expect(text).not.toContain('Broken');
  });
});

describe('/metrics in production', () => {
  const production = {
    NODE_ENV: 'production',
    JWT_SECRET: 'a-production-jwt-secret-that-is-long-enough',
    ADMIN_EMAIL: 'boss@example.com',
    ADMIN_PASSWORD: 'a-long-production-password-of-32-chars',
    PUSHER_APP_ID: 'app-id',
    PUSHER_APP_KEY: 'app-key',
    PUSHER_APP_SECRET: 'a-production-pusher-secret-of-32-chars',
  };

  it('is not served to the public without METRICS_TOKEN', async () => {
    const server = await startTestServer({ env: production });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('is served on METRICS_PORT, on loopback, and then not on the API port', async () => {
    const server = await startTestServer({ env: { ...production, METRICS_PORT: '0' } });
    try {
      const url = server.server.metricsUrl;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const scraped = await fetch(url as string);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('open_sockets');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

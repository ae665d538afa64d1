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

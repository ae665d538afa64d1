import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createUser, LOGIN, newUserInput, REGISTER, type TestUser } from '../fixtures/users';
import { type GqlResult, GraphQLClient } from '../support/graphql-client';
import { messageChannel } from '../support/legacy-pusher-client';
import {
  SHARED_DATABASE_URL,
  SHARED_REDIS_PREFIX,
  SHARED_REDIS_URL,
  sharedServicesAvailable,
} from '../support/shared-services';
import { startTestServer, type TestServer } from '../support/test-server';

const REFRESH = 'mutation R($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }';
const CHANGE_PASSWORD =
  'mutation C($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

// Behind a trusted proxy (TRUST_PROXY=true) X-Forwarded-For names the client, so each test is its own client IP.
const LIMITS = {
  TRUST_PROXY: 'true',
  THROTTLE_LOGIN_PER_ACCOUNT: '3/600',
  THROTTLE_LOGIN_PER_IP: '5/600',
  THROTTLE_REGISTER_PER_IP: '3/600',
  THROTTLE_REFRESH_TOKEN_PER_IP: '2/600',
  THROTTLE_CHANGE_PASSWORD_PER_USER: '2/600',
  THROTTLE_BROADCASTING_AUTH_PER_IP: '2/600',
};

/** A client whose requests come, as far as the server can tell, from `ip`. */
class ClientAt extends GraphQLClient {
  constructor(
    endpoint: string,
    readonly ip: string,
  ) {
    super(endpoint);
  }

  override request<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResult<T>> {
    return super.request<T>(query, variables, token, { 'x-forwarded-for': this.ip, ...headers });
  }
}

let lastIp = 0;
function newIp(server: TestServer): ClientAt {
  lastIp += 1;
  return new ClientAt(server.client.endpoint, `10.0.${Math.floor(lastIp / 250)}.${lastIp % 250}`);
}

function expectThrottled(result: GqlResult<unknown>): void {
  expect(result.data ?? undefined).toBeUndefined();
  const error = result.errors?.[0];
  expect(error?.extensions?.code).toBe('TOO_MANY_REQUESTS');
  expect(error?.extensions?.retryAfter).toEqual(expect.any(Number));
  expect(error?.extensions?.retryAfter as number).toBeGreaterThan(0);
  expect(error?.message).toMatch(/Too many attempts; try again in \d+ seconds/);
}

const login = (client: GraphQLClient, email: string, password: string) =>
  client.request<{ login: { accessToken: string } }>(LOGIN, { email, password });

describe('one instance', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses logins to one account past its limit, even with the right password, while another account logs in', async () => {
    const a = await createUser(newIp(t));
    const b = await createUser(newIp(t));
    for (let i = 0; i < 3; i++) {
      // Each attempt from a different address: the per-account limit holds whatever the IP.
      const wrong = await login(newIp(t), a.email.toUpperCase(), 'not-the-password');
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectThrottled(await login(newIp(t), a.email, a.password));
    const other = await login(newIp(t), b.email, b.password);
    expect(other.errors).toBeUndefined();
    expect(other.data?.login.accessToken).toEqual(expect.any(String));
  });

  it('refuses logins from one IP past its limit, while another IP logs in', async () => {
    const user = await createUser(newIp(t));
    const attacker = newIp(t);
    for (let i = 0; i < 5; i++) {
      const wrong = await login(attacker, `nobody${i}-${randomUUID()}@example.com`, 'guess-guess');
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectThrottled(await login(attacker, user.email, user.password));
    expect((await login(newIp(t), user.email, user.password)).errors).toBeUndefined();
  });

  it('counts registrations sent over graphql-ws against the same client IP as over HTTP', async () => {
    const client = newIp(t);
    const member = await createUser(newIp(t));
    for (let i = 0; i < 3; i++) {
      expect((await client.request(REGISTER, { input: newUserInput() })).errors).toBeUndefined();
    }
    const { ip } = client;
    // The same address, through the same trusted proxy header, on a socket instead of HTTP.
    class WebSocketAt extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'x-forwarded-for': ip } });
      }
    }
    const socket = createClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocketAt,
      connectionParams: { authorization: `Bearer ${member.token}` },
      retryAttempts: 0,
    });
    try {
      const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
      for await (const result of socket.iterate({ query: REGISTER, variables: { input: newUserInput() } })) {
        results.push(result);
      }
      expectThrottled(results[0] as GqlResult<unknown>);
    } finally {
      await socket.dispose();
    }
  });

  it('refuses registrations from one IP past its limit and creates no account', async () => {
    const client = newIp(t);
    for (let i = 0; i < 3; i++) await createUser(client);
    const input = newUserInput();
    expectThrottled(await client.request(REGISTER, { input }));
    const refused = await login(newIp(t), input.email as string, input.password as string);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await newIp(t).request(REGISTER, { input: newUserInput() })).errors).toBeUndefined();
  });

  it('refuses refreshes from one IP past its limit, leaving the refresh token usable', async () => {
    const user = await createUser(newIp(t));
    const client = newIp(t);
    let token = user.refreshToken;
    for (let i = 0; i < 2; i++) {
      const { refreshToken } = await client.ok<{ refreshToken: { refreshToken: string } }>(REFRESH, {
        t: token,
      });
      token = refreshToken.refreshToken;
    }
    expectThrottled(await client.request(REFRESH, { t: token }));
    const elsewhere = await newIp(t).request(REFRESH, { t: token });
    expect(elsewhere.errors).toBeUndefined();
  });

  it('refuses password changes past the per-user limit, leaving the password as it was', async () => {
    const user: TestUser = await createUser(newIp(t));
    const client = newIp(t);
    const passwords = [user.password, 'second-password-1', 'third-password-22', 'fourth-password-333'];
    for (let i = 0; i < 2; i++) {
      await client.ok(CHANGE_PASSWORD, { c: passwords[i], n: passwords[i + 1] }, user.token);
    }
    expectThrottled(await client.request(CHANGE_PASSWORD, { c: passwords[2], n: passwords[3] }, user.token));
    expect((await login(newIp(t), user.email, passwords[3] as string)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await login(newIp(t), user.email, passwords[2] as string)).errors).toBeUndefined();
  });

  it('answers /broadcasting/auth from one IP past its limit with 429 and Retry-After', async () => {
    const user = await createUser(newIp(t));
    const auth = (ip: string) =>
      fetch(`${t.url}/broadcasting/auth`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${user.token}`,
          'x-forwarded-for': ip,
        },
        body: JSON.stringify({ socket_id: '123.456', channel_name: messageChannel(user.id) }),
      });
    expect((await auth('10.9.9.9')).status).toBe(200);
    expect((await auth('10.9.9.9')).status).toBe(200);
    const refused = await auth('10.9.9.9');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Too many attempts/);
    expect((await auth('10.9.9.8')).status).toBe(200);
  });
});

describe('two instances sharing Redis', () => {
  let available = false;
  let first: TestServer | undefined;
  let second: TestServer | undefined;
  beforeAll(async () => {
    available = await sharedServicesAvailable();
    if (!available) return;
    // A prefix of its own, so counts left in Redis by earlier runs do not count here.
    const env = {
      ...LIMITS,
      THROTTLE_LOGIN_PER_ACCOUNT: '4/600',
      DATABASE_URL: SHARED_DATABASE_URL,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: `${SHARED_REDIS_PREFIX}${randomUUID()}:`,
    };
    first = await startTestServer({ env });
    second = await startTestServer({ env, keepDatabase: true });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('counts login attempts of one account across both instances', async () => {
    if (!available || !first || !second) return;
    const user = await createUser(newIp(first));
    for (const server of [first, second, first, second]) {
      const wrong = await login(newIp(server), user.email, 'not-the-password');
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // Each instance saw only two attempts; only a shared count refuses the fifth.
    expectThrottled(await login(newIp(second), user.email, user.password));
    expectThrottled(await login(newIp(first), user.email, user.password));
  });
});

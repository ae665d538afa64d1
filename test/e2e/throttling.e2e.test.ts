import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SEND, sendMessage } from '../fixtures/messages';
import { createUser, LOGIN, newUserInput, REGISTER, type TestUser } from '../fixtures/users';
import { type GqlResult, GraphQLClient } from '../support/graphql-client';
import { messageChannel } from '../support/legacy-pusher-client';
import { TYPING } from '../support/presence';
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
  THROTTLE_LOGIN_PER_ACCOUNT: '6/600',
  THROTTLE_LOGIN_PER_ACCOUNT_IP: '3/600',
  THROTTLE_LOGIN_PER_IP: '5/600',
  THROTTLE_REGISTER_PER_IP: '3/600',
  THROTTLE_REFRESH_TOKEN_PER_IP: '2/600',
  THROTTLE_CHANGE_PASSWORD_PER_USER: '2/600',
  THROTTLE_BROADCASTING_AUTH_PER_IP: '2/600',
  THROTTLE_SEND_MESSAGE_PER_USER: '5/600',
  THROTTLE_SEND_MESSAGE_PER_PAIR: '3/600',
  THROTTLE_TYPING_PER_USER: '3/600',
  THROTTLE_UPDATE_PROFILE_PER_USER: '2/600',
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

  it('after 11 wrong passwords from one address refuses that address, while the owner logs in from another', async () => {
    const owner = await createUser(newIp(t));
    const attacker = newIp(t);
    const codes: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      codes.push(
        (await login(attacker, owner.email.toUpperCase(), 'not-the-password')).errors?.[0]?.extensions?.code,
      );
    }
    // Failures per account and address: three are checked, the rest refused before any password is.
    expect(codes.slice(0, 3)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(new Set(codes.slice(3))).toEqual(new Set(['TOO_MANY_REQUESTS']));
    expectThrottled(await login(attacker, owner.email, owner.password));
    const elsewhere = await login(newIp(t), owner.email, owner.password);
    expect(elsewhere.errors).toBeUndefined();
    expect(elsewhere.data?.login.accessToken).toEqual(expect.any(String));
  });

  it('past the per-account ceiling refuses addresses that failed on it, and lets the right password in from any other', async () => {
    const owner = await createUser(newIp(t));
    const attackers = Array.from({ length: 7 }, () => newIp(t));
    // Spread over addresses, each under its own limit, the failures pass the account's ceiling (6).
    for (const attacker of attackers) {
      const wrong = await login(attacker, owner.email, 'not-the-password');
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // An address that failed on the account gets no further check, not even of the right password.
    expectThrottled(await login(attackers[0] as ClientAt, owner.email, owner.password));
    // A new address gets one check: a wrong password there, then that address too is refused.
    const next = newIp(t);
    expect((await login(next, owner.email, 'not-the-password')).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expectThrottled(await login(next, owner.email, owner.password));
    // The owner, from an address without failures, logs in.
    expect((await login(newIp(t), owner.email, owner.password)).errors).toBeUndefined();
  });

  it('counts only failures: a success forgets the failures of that address, and successes cost nothing', async () => {
    const owner = await createUser(newIp(t));
    const device = newIp(t);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) {
        const wrong = await login(device, owner.email, 'a-typo-in-the-password');
        expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
      // Without the reset the second round's failures would pass the limit of three per account and address.
      expect((await login(device, owner.email, owner.password)).errors).toBeUndefined();
    }
    // More successful logins than the per-IP limit (5) from one address (an office behind one NAT).
    const office = newIp(t);
    for (let i = 0; i < 7; i++) {
      expect((await login(office, owner.email, owner.password)).errors).toBeUndefined();
    }
  });

  it('refuses logins from one IP past its limit of failures, while another IP logs in', async () => {
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

  it('throttles sendMessage per sender and receiver, and per sender, storing nothing refused', async () => {
    const sender = await createUser(newIp(t));
    const [a, b, c] = [await createUser(newIp(t)), await createUser(newIp(t)), await createUser(newIp(t))];
    const client = newIp(t);
    for (let i = 0; i < 3; i++) await sendMessage(client, sender.token, a.id, `hello ${i}`);
    // Three to one receiver are its limit; the sender may still write to someone else.
    expectThrottled(await client.request(SEND, { to: a.id, detail: 'one too many' }, sender.token));
    await sendMessage(client, sender.token, b.id, 'hello b');
    // Five attempts per sender in all (the refused one counts): the sixth is refused whoever it is for.
    expectThrottled(await client.request(SEND, { to: c.id, detail: 'too many in all' }, sender.token));
    const count = await client.ok<{ messageCount: number }>(
      'query C($other: ID!) { messageCount(otherUserId: $other) }',
      { other: sender.id },
      a.token,
    );
    expect(count.messageCount).toBe(3);
    const none = await client.ok<{ messageCount: number }>(
      'query C($other: ID!) { messageCount(otherUserId: $other) }',
      { other: sender.id },
      c.token,
    );
    expect(none.messageCount).toBe(0);
  });

  it('throttles typing per typist', async () => {
    const typist = await createUser(newIp(t));
    const other = await createUser(newIp(t));
    const client = newIp(t);
    // They talk: the other wrote to the typist.
    await sendMessage(client, other.token, typist.id, 'hi');
    for (let i = 0; i < 3; i++) await client.ok(TYPING, { to: other.id }, typist.token);
    expectThrottled(await client.request(TYPING, { to: other.id }, typist.token));
  });

  it('throttles updateProfile per user, leaving the profile as it was', async () => {
    const user = await createUser(newIp(t));
    const client = newIp(t);
    const update = (name: string) =>
      client.request(
        'mutation U($name: String!) { updateProfile(input: { name: $name }) { name } }',
        { name },
        user.token,
      );
    expect((await update('First')).errors).toBeUndefined();
    expect((await update('Second')).errors).toBeUndefined();
    expectThrottled(await update('Third'));
    const { me } = await client.ok<{ me: { name: string } }>('{ me { name } }', {}, user.token);
    expect(me.name).toBe('Second');
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

  it('counts login failures of one account and address across both instances', async () => {
    if (!available || !first || !second) return;
    const user = await createUser(newIp(first));
    const attacker = newIp(first);
    for (const server of [first, second, first]) {
      const wrong = await login(
        new ClientAt(server.client.endpoint, attacker.ip),
        user.email,
        'not-the-password',
      );
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // Each instance saw at most two failures from the address; only a shared count refuses the fourth attempt.
    expectThrottled(
      await login(new ClientAt(second.client.endpoint, attacker.ip), user.email, user.password),
    );
    expectThrottled(await login(new ClientAt(first.client.endpoint, attacker.ip), user.email, user.password));
    expect((await login(newIp(second), user.email, user.password)).errors).toBeUndefined();
  });
});

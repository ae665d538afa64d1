import { Client } from 'pg';
import { sendMessage } from '../fixtures/messages';
import { createUser, LOGIN, loginAdmin, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { SHARED_DATABASE_URL, SHARED_REDIS_URL, sharedServicesAvailable } from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

// A short re-check, so revocations behind the bus's back show within a test; a short token, to outlive it.
const env = {
  DATABASE_URL: SHARED_DATABASE_URL,
  REDIS_URL: SHARED_REDIS_URL,
  SESSION_RECHECK_INTERVAL: '1',
  ACCESS_TOKEN_TTL: '10',
};
const ME = 'query { me { id } }';
const LOGOUT = 'mutation { logout }';
const BAN = 'mutation B($id: ID!) { setUserStatus(userId: $id, status: BANNED) { id status } }';
const CHANGE_PASSWORD =
  'mutation C($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }';
const REFRESH = 'mutation R($token: String!) { refreshToken(refreshToken: $token) { accessToken } }';

let available = false;
let first: TestServer | undefined;
let second: TestServer | undefined;
let sql: Client;

beforeAll(async () => {
  available = await sharedServicesAvailable();
  if (!available) return;
  first = await startTestServer({ env });
  second = await startTestServer({ env, keepDatabase: true });
  sql = new Client({ connectionString: SHARED_DATABASE_URL });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await second?.close();
  await first?.close();
});

/** A pusher-js client on its private message channel and a graphql-ws socket, both on the second instance. */
async function socketsOnSecond(user: TestUser) {
  const server = second as TestServer;
  const legacy = new LegacyPusherClient({
    wsPort: server.server.port,
    authUrl: `${server.url}/broadcasting/auth`,
    token: user.token,
  });
  const errors: unknown[] = [];
  legacy.pusher.connection.bind('error', (error: unknown) => errors.push(error));
  const gql = new SubscriptionClient(server.url, user.token);
  await legacy.subscribe(messageChannel(user.id));
  await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');
  return {
    legacy,
    gql,
    /** pusher-js got pusher:error 4009, the graphql-ws socket closed 4403, and no later event reaches them. */
    async expectClosed(sender: TestUser) {
      await eventually(() =>
        expect(errors).toContainEqual(
          expect.objectContaining({ data: expect.objectContaining({ code: 4009 }) }),
        ),
      );
      await eventually(() => expect(legacy.pusher.connection.state).not.toBe('connected'));
      await eventually(() => expect(gql.closes).toContain(4403));
      await sendMessage((first as TestServer).client, sender.token, user.id, 'after the end');
      await sleep(SETTLE_MS);
      expect(legacy.events('MessageCreated')).toEqual([]);
      expect(gql.results('messageCreated')).toEqual([]);
    },
    async close() {
      legacy.disconnect();
      await gql.close();
    },
  };
}

describe('sockets on another instance end with their session', () => {
  it('on logout', async () => {
    if (!available || !first) return;
    const [user, sender] = [await createUser(first.client), await createUser(first.client)];
    const sockets = await socketsOnSecond(user);
    try {
      await first.client.ok(LOGOUT, {}, user.token);
      await sockets.expectClosed(sender);
    } finally {
      await sockets.close();
    }
  });

  it('on a ban', async () => {
    if (!available || !first) return;
    const [user, sender] = [await createUser(first.client), await createUser(first.client)];
    const admin = await loginAdmin(first.client);
    const sockets = await socketsOnSecond(user);
    try {
      await first.client.ok(BAN, { id: user.id }, admin.token);
      await sockets.expectClosed(sender);
    } finally {
      await sockets.close();
    }
  });

  it("on a password change in another of the user's sessions", async () => {
    if (!available || !first) return;
    const [user, sender] = [await createUser(first.client), await createUser(first.client)];
    const sockets = await socketsOnSecond(user);
    try {
      const { login } = await first.client.ok<{ login: { accessToken: string } }>(LOGIN, {
        email: user.email,
        password: user.password,
      });
      await first.client.ok(
        CHANGE_PASSWORD,
        { current: user.password, next: 'another-password' },
        login.accessToken,
      );
      await sockets.expectClosed(sender);
    } finally {
      await sockets.close();
    }
  });

  it('on a revocation written straight to the database, with no notice, at the next re-check', async () => {
    if (!available || !first) return;
    const [user, sender] = [await createUser(first.client), await createUser(first.client)];
    const sockets = await socketsOnSecond(user);
    try {
      await sql.query('UPDATE auth_sessions SET revoked_at = now() WHERE user_id = $1', [Number(user.id)]);
      await sockets.expectClosed(sender);
    } finally {
      await sockets.close();
    }
  });

  it('past SESSION_MAX_AGE: tokens and refresh are refused and the sockets close', async () => {
    if (!available || !first) return;
    const [user, sender] = [await createUser(first.client), await createUser(first.client)];
    const sockets = await socketsOnSecond(user);
    try {
      await sql.query("UPDATE auth_sessions SET created_at = now() - interval '31 days' WHERE user_id = $1", [
        Number(user.id),
      ]);
      expect((await first.client.fails(ME, {}, user.token)).extensions?.code).toBe('UNAUTHENTICATED');
      expect((await first.client.fails(REFRESH, { token: user.refreshToken })).extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      await sockets.expectClosed(sender);
    } finally {
      await sockets.close();
    }
  });
});

it('sockets outlive the access token: graphql-ws still subscribes and the Pusher channel still receives', async () => {
  if (!available || !first) return;
  const user = await createUser(first.client);
  const sockets = await socketsOnSecond(user);
  try {
    // ACCESS_TOKEN_TTL is 10 s: wait until the token is refused, then use the sockets opened with it.
    await eventually(async () => {
      expect((await first?.client.fails(ME, {}, user.token))?.extensions?.code).toBe('UNAUTHENTICATED');
    }, 20_000);
    await sockets.gql.subscribe('messageUpdated', 'subscription { messageUpdated { id } }');
    const sender = await createUser(first.client);
    const sent = await sendMessage(first.client, sender.token, user.id, 'after expiry');
    await eventually(() => expect(sockets.legacy.events('MessageCreated')).toHaveLength(1));
    await eventually(() =>
      expect(sockets.gql.results('messageCreated')).toEqual([{ id: sent.id, detail: 'after expiry' }]),
    );
    expect(sockets.gql.failures('messageUpdated')).toEqual([]);
    expect(sockets.gql.closes).toEqual([]);
  } finally {
    await sockets.close();
  }
}, 40_000);

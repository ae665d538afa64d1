import { createLegacyUser, legacyLogin, legacyRegistration, type LegacyUser } from '../fixtures/legacy-users';
import { createUser, LOGIN, newUserInput, REGISTER } from '../fixtures/users';
import { LegacyHttpClient } from '../support/legacy-http';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

const ME = '{ me { id name email role status } }';
const USER_KEYS = [
  'address',
  'created_at',
  'email',
  'image_link',
  'name',
  'phonenumber',
  'role',
  'status',
  'updated_at',
  'user_id',
];
const LARAVEL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/;

let t: TestServer;
let http: LegacyHttpClient;
const opened: { close?: () => Promise<void>; disconnect?: () => void }[] = [];

beforeAll(async () => {
  t = await startTestServer();
  http = new LegacyHttpClient(t.url);
});
afterEach(async () => {
  for (const client of opened.splice(0)) {
    client.disconnect?.();
    await client.close?.();
  }
});
afterAll(async () => {
  await t.close();
});

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iat: number; exp: number };

async function meOnGraphQL(token: string) {
  return t.client.request<{ me: { id: string } }>(ME, {}, token);
}

async function broadcastingAuth(token: string, userId: number) {
  const response = await fetch(`${t.url}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
    body: `socket_id=123.456&channel_name=${encodeURIComponent(messageChannel(userId))}`,
  });
  return response.status;
}

describe("a legacy app's day with its account", () => {
  it('registers, logs in with a tymon token, reads and edits its profile, changes the password, logs out', async () => {
    const fields = legacyRegistration();
    const registered = await http.post<{ success: boolean; message: string; user: Record<string, unknown> }>(
      '/auth/register',
      fields,
    );
    expect(registered.status).toBe(201);
    expect(Object.keys(registered.body).sort()).toEqual(['message', 'success', 'user']);
    expect(registered.body.success).toBe(true);
    expect(registered.body.message).toEqual(expect.any(String));
    const row = registered.body.user;
    expect(Object.keys(row).sort()).toEqual(USER_KEYS);
    expect(row).toMatchObject({
      email: fields.email,
      name: fields.name,
      phonenumber: fields.phonenumber,
      role: 'jobseeker',
      status: 'active',
    });
    expect(row.user_id).toEqual(expect.any(Number));
    expect(row.created_at).toMatch(LARAVEL_TIME);

    const login = await http.post<Record<string, unknown>>('/auth/login', {
      email: fields.email,
      password: fields.password,
    });
    expect(login.status).toBe(200);
    expect(Object.keys(login.body).sort()).toEqual(['access_token', 'expires_in', 'token_type', 'user']);
    expect(login.body.token_type).toBe('bearer');
    const token = login.body.access_token as string;
    const { iat, exp } = claims(token);
    expect(login.body.expires_in).toBe(exp - iat);
    expect(login.body.expires_in).toBe(7 * 86400);
    expect(login.body.user).toEqual(row);

    const profile = await http.get('/auth/user-profile', {}, token);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({ user: row, jobseeker: null });

    // role, status and password ride along, as the legacy $fillable took them: none of them is taken.
    const edited = await http.post(
      '/auth/user-profile',
      {
        name: 'Renamed',
        address: '2 New Road',
        role: 'admin',
        status: 'banned',
        password: 'taken-over-1',
        birthday: 'x',
      },
      token,
    );
    expect(edited.status).toBe(200);
    expect(Object.keys(edited.body).sort()).toEqual(['message', 'success']);
    expect(edited.body.success).toBe(true);
    const after = await http.get<{ user: Record<string, unknown> }>('/auth/user-profile', {}, token);
    expect(after.body.user).toMatchObject({
      name: 'Renamed',
      address: '2 New Road',
      role: 'jobseeker',
      status: 'active',
    });
    await legacyLogin(http, fields.email, fields.password);

    // A second login (GraphQL) that the password change must end; the changing session goes on.
    const other = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
      email: fields.email,
      password: fields.password,
    });
    const missing = await http.post('/auth/change-password', { new_password: 'brand-new-pass' }, token);
    expect(missing.status).toBe(200);
    expect(missing.body.success).toBe(false);
    const wrong = await http.post(
      '/auth/change-password',
      { current_password: 'not-the-password', new_password: 'brand-new-pass' },
      token,
    );
    expect(wrong.body.success).toBe(false);
    await legacyLogin(http, fields.email, fields.password);
    const changed = await http.post(
      '/auth/change-password',
      { current_password: fields.password, new_password: 'brand-new-pass' },
      token,
    );
    expect(changed.status).toBe(201);
    expect(Object.keys(changed.body).sort()).toEqual(['message', 'success']);
    expect(changed.body.success).toBe(true);
    expect(
      (await http.post('/auth/login', { email: fields.email, password: fields.password })).body,
    ).toMatchObject({
      success: false,
    });
    await legacyLogin(http, fields.email, 'brand-new-pass');
    expect((await meOnGraphQL(other.login.accessToken)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await http.get('/auth/user-profile', {}, other.login.accessToken)).status).toBe(401);
    expect((await http.get('/auth/user-profile', {}, token)).status).toBe(200);

    const logout = await http.post('/auth/logout', {}, token);
    expect(logout).toMatchObject({ status: 200, body: { message: 'User successfully signed out' } });
    expect(await http.get('/auth/user-profile', {}, token)).toMatchObject({
      status: 401,
      body: { error: 'Unauthenticated.' },
    });
    expect((await meOnGraphQL(token)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await broadcastingAuth(token, row.user_id as number)).toBe(401);
  });

  it('refresh hands back a token for both APIs and retires the old one, while the session and its sockets go on', async () => {
    const user = await createLegacyUser(http);
    const pusher = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: user.token,
    });
    opened.push(pusher);
    await pusher.subscribe(messageChannel(user.id));
    const sender = await createLegacyUser(http);

    const refreshed = await http.post<Record<string, unknown>>('/auth/refresh', {}, user.token);
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['access_token', 'expires_in', 'token_type', 'user']);
    const token = refreshed.body.access_token as string;
    expect(token).not.toBe(user.token);
    expect(refreshed.body.expires_in).toBe(7 * 86400);
    expect((refreshed.body.user as { user_id: number }).user_id).toBe(user.id);

    expect((await http.get('/auth/user-profile', {}, token)).status).toBe(200);
    expect((await meOnGraphQL(token)).data?.me.id).toBe(String(user.id));
    expect(await broadcastingAuth(token, user.id)).toBe(200);
    expect((await http.get('/auth/user-profile', {}, user.token)).status).toBe(401);
    expect((await meOnGraphQL(user.token)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await http.post('/auth/refresh', {}, user.token)).status).toBe(401);

    // The channel signed with the old token belongs to the session, which a refresh does not end.
    await http.post('/chat/create', { receiver_id: user.id, detail: 'after the refresh' }, sender.token);
    await eventually(() => expect(pusher.events('MessageCreated')).toHaveLength(1));
  });

  it('logout through /api ends the Pusher channels and graphql-ws sockets the REST token opened', async () => {
    const user = await createLegacyUser(http);
    const pusher = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: user.token,
    });
    opened.push(pusher);
    const errors: unknown[] = [];
    pusher.pusher.connection.bind('error', (error: unknown) => errors.push(error));
    await pusher.subscribe(messageChannel(user.id));
    const socket = new SubscriptionClient(t.url, user.token);
    opened.push(socket);
    await socket.subscribe('messageCreated', 'subscription { messageCreated { id } }');

    expect((await http.post('/auth/logout', {}, user.token)).status).toBe(200);
    await eventually(() =>
      expect(errors).toContainEqual(
        expect.objectContaining({ data: expect.objectContaining({ code: 4009 }) }),
      ),
    );
    await eventually(() => expect(socket.closes).toContain(4403));
  });

  it('answers a wrong password, an unknown email and a missing field as Laravel did', async () => {
    const user = await createLegacyUser(http);
    const wrong = await http.post('/auth/login', { email: user.email, password: 'wrong-password' });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toEqual({ success: false, message: expect.any(String) });
    const unknown = await http.post('/auth/login', { email: 'nobody@example.com', password: 'whatever-1' });
    expect(unknown.body).toEqual(wrong.body);
    const missing = await http.post('/auth/login', { email: user.email });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ message: expect.any(String), errors: { password: [expect.any(String)] } });
  });

  it('refuses a taken email or phone, an admin role and bad input, storing nothing', async () => {
    const user = await createLegacyUser(http);
    const cases: Record<string, string>[] = [
      { email: user.email },
      { phonenumber: user.phonenumber },
      { role: 'admin' },
      { role: 'pirate' },
      { role: '' },
      { password: 'short' },
      { email: 'not-an-email' },
      { name: '' },
    ];
    for (const overrides of cases) {
      const fields = legacyRegistration(overrides);
      const answer = await http.post('/auth/register', fields);
      expect([answer.status, answer.body.success, Object.keys(answer.body).sort()]).toEqual([
        200,
        false,
        ['message', 'success'],
      ]);
      expect(answer.body.message).toEqual(expect.any(String));
      if (overrides.email === undefined) {
        expect(
          (await http.post('/auth/login', { email: fields.email, password: fields.password })).body.success,
        ).toBe(false);
      }
    }
    expect((await http.post('/auth/register', legacyRegistration({ email: user.email }))).body.message).toBe(
      'Email đã tồn tại',
    );
  });

  it('refuses a taken or invalid profile value with the error envelope, changing nothing', async () => {
    const user = await createLegacyUser(http);
    const other = await createLegacyUser(http);
    const before = await http.get<{ user: Record<string, unknown> }>('/auth/user-profile', {}, user.token);
    const cases: Record<string, string>[] = [
      { email: other.email },
      { phonenumber: other.phonenumber },
      { email: 'not-an-email' },
      { name: 'x'.repeat(256) },
    ];
    for (const fields of cases) {
      const answer = await http.post(
        '/auth/user-profile',
        { ...fields, address: 'Somewhere else' },
        user.token,
      );
      expect([fields, answer.status, answer.body]).toEqual([
        fields,
        200,
        { success: false, message: expect.any(String), error: expect.any(String) },
      ]);
    }
    const after = await http.get<{ user: Record<string, unknown> }>('/auth/user-profile', {}, user.token);
    expect(after.body).toEqual(before.body);
  });

  it('searches users by name, showing contact data only to its owner and admins', async () => {
    const name = `Searchable ${Date.now()}`;
    const found = await createLegacyUser(http, { name });
    const viewer = await createLegacyUser(http);
    const admin = await legacyLogin(http, 'admin@email.com', '12345678');
    const seen = await http.get<{ success: boolean; users: Record<string, unknown>[] }>(
      '/auth/users',
      { searchContent: name },
      viewer.token,
    );
    expect(Object.keys(seen.body).sort()).toEqual(['success', 'users']);
    expect(seen.body.users).toHaveLength(1);
    expect(Object.keys(seen.body.users[0]).sort()).toEqual(USER_KEYS);
    expect(seen.body.users[0]).toMatchObject({
      user_id: found.id,
      email: null,
      phonenumber: null,
      address: null,
    });
    // Matching contact data is for admins: anyone else would learn it a character at a time.
    const byEmail = await http.get<{ users: unknown[] }>(
      '/auth/users',
      { searchContent: found.email },
      viewer.token,
    );
    expect(byEmail.body.users).toEqual([]);
    const own = await http.get<{ users: Record<string, unknown>[] }>(
      '/auth/users',
      { searchContent: name },
      found.token,
    );
    expect(own.body.users[0]).toMatchObject({ email: found.email });
    const asAdmin = await http.get<{ users: Record<string, unknown>[] }>(
      '/auth/users',
      { searchContent: found.email },
      admin.access_token,
    );
    expect(asAdmin.body.users[0]).toMatchObject({
      user_id: found.id,
      email: found.email,
      phonenumber: found.phonenumber,
    });
  });
});

describe('tokens across the two APIs', () => {
  it('takes a GraphQL token on every legacy route, and a legacy token on GraphQL, graphql-ws and /broadcasting/auth', async () => {
    const graphqlUser = await createUser(t.client);
    const profile = await http.get<{ user: Record<string, unknown> }>(
      '/auth/user-profile',
      {},
      graphqlUser.token,
    );
    expect(profile.status).toBe(200);
    expect(profile.body.user).toMatchObject({ user_id: Number(graphqlUser.id), email: graphqlUser.email });

    const legacy: LegacyUser = await createLegacyUser(http);
    expect((await meOnGraphQL(legacy.token)).data?.me.id).toBe(String(legacy.id));
    expect(await broadcastingAuth(legacy.token, legacy.id)).toBe(200);
    expect(await broadcastingAuth(legacy.token, Number(graphqlUser.id))).toBe(403);
    const socket = new SubscriptionClient(t.url, legacy.token);
    opened.push(socket);
    await socket.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');
    await http.post(
      '/chat/create',
      { receiver_id: legacy.id, detail: 'to the legacy token' },
      graphqlUser.token,
    );
    await eventually(() =>
      expect(socket.results('messageCreated')).toEqual([
        expect.objectContaining({ detail: 'to the legacy token' }),
      ]),
    );
  });

  it('refreshes a GraphQL login on REST, after which its GraphQL refresh token still rotates', async () => {
    const user = await createUser(t.client);
    const refreshed = await http.post<{ access_token: string }>('/auth/refresh', {}, user.token);
    expect(refreshed.status).toBe(200);
    expect((await meOnGraphQL(user.token)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await meOnGraphQL(refreshed.body.access_token)).data?.me.id).toBe(user.id);
    const rotated = await t.client.ok<{ refreshToken: { accessToken: string } }>(
      'mutation R($token: String!) { refreshToken(refreshToken: $token) { accessToken } }',
      { token: user.refreshToken },
    );
    expect((await meOnGraphQL(rotated.refreshToken.accessToken)).data?.me.id).toBe(user.id);
    expect((await http.get('/auth/user-profile', {}, rotated.refreshToken.accessToken)).status).toBe(200);
  });

  it('answers 401 with the legacy body for no, forged and unparsable tokens, in both of its texts', async () => {
    const noToken = await http.get('/auth/user-profile');
    expect(noToken).toMatchObject({ status: 401, body: { error: 'Unauthenticated.' } });
    expect((await http.get('/chat/count/unseen', {}, 'forged.token.value')).body).toEqual({
      error: 'Unauthenticated.',
    });
    const html = await http.send('GET', '/auth/user-profile', { headers: { accept: 'text/html' } });
    expect(html).toMatchObject({ status: 401, body: { error: 'Unauthenticated. Please login.' } });
    const xhr = await http.send('GET', '/auth/user-profile', {
      headers: { accept: '*/*', 'x-requested-with': 'XMLHttpRequest' },
    });
    expect(xhr.body).toEqual({ error: 'Unauthenticated.' });
    const scheme = await http.send('GET', '/auth/user-profile', { headers: { authorization: 'Token abc' } });
    expect(scheme.status).toBe(401);
  });
});

describe('request bodies and paths', () => {
  it('reads JSON and multipart bodies, and the query string merged with the body', async () => {
    const user = await createLegacyUser(http);
    const json = await http.send('POST', '/auth/login', {
      body: JSON.stringify({ email: user.email, password: user.password }),
      headers: { 'content-type': 'application/json' },
    });
    expect(json.body.token_type).toBe('bearer');
    const form = new FormData();
    form.append('email', user.email);
    form.append('password', user.password);
    expect((await http.send('POST', '/auth/login', { body: form })).body.token_type).toBe('bearer');
    const merged = await http.send('POST', `/auth/login?email=${encodeURIComponent(user.email)}`, {
      body: new URLSearchParams({ password: user.password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(merged.body.token_type).toBe('bearer');
    // The Laravel route was declared as 'change-password ' (with a space): both spellings answer.
    const spaced = await http.post(
      '/auth/change-password%20',
      { current_password: user.password, new_password: 'another-password' },
      user.token,
    );
    expect(spaced).toMatchObject({ status: 201, body: { success: true } });
  });

  it('answers malformed bodies, unknown paths and wrong methods with JSON, never an HTML page', async () => {
    const malformed = await http.send('POST', '/auth/login', {
      body: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ message: expect.any(String) });
    const badMultipart = await http.send('POST', '/auth/login', {
      body: '--x\r\nbroken',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(badMultipart.status).toBe(400);
    expect(await http.get('/auth/nowhere')).toMatchObject({
      status: 404,
      body: { message: expect.any(String) },
    });
    expect(await http.get('/')).toMatchObject({ status: 404 });
    const wrongMethod = await http.get('/auth/login');
    expect(wrongMethod).toMatchObject({ status: 405, body: { message: expect.any(String) } });
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await http.send('DELETE', '/chat/create')).status).toBe(405);
    expect((await http.post('/auth/user-profile')).status).toBe(401);
  });
});

describe('throttles', () => {
  let limited: TestServer;
  let limitedHttp: LegacyHttpClient;
  beforeAll(async () => {
    limited = await startTestServer({
      env: {
        THROTTLE_LEGACY_API_PER_IP: '4/600',
        THROTTLE_REGISTER_PER_IP: '2/600',
        TRUST_PROXY: 'loopback',
        LEGACY_TOKEN_TTL: '3600',
        SESSION_MAX_AGE: '1800',
      },
    });
    limitedHttp = new LegacyHttpClient(limited.url);
  });
  afterAll(async () => {
    await limited.close();
  });

  const from = (address: string, path: string) =>
    limitedHttp.send('GET', path, { headers: { 'x-forwarded-for': address } });

  it('counts every /api request per client address, as TRUST_PROXY resolves it, like throttle:api', async () => {
    for (let i = 0; i < 4; i += 1) expect((await from('203.0.113.1', '/auth/user-profile')).status).toBe(401);
    const refused = await from('203.0.113.1', '/auth/user-profile');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ message: 'Too Many Attempts.' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('203.0.113.2', '/auth/user-profile')).status).toBe(401);
  });

  it('gives REST tokens LEGACY_TOKEN_TTL, never past the session they are bound to', async () => {
    const login = await limitedHttp.send('POST', '/auth/login', {
      body: JSON.stringify({ email: 'admin@email.com', password: '12345678' }),
      headers: { 'x-forwarded-for': '198.51.100.7', 'content-type': 'application/json' },
    });
    // LEGACY_TOKEN_TTL is 3600, but the session ends after SESSION_MAX_AGE (1800): the token says so.
    expect(login.body.expires_in).toBeGreaterThan(1790);
    expect(login.body.expires_in).toBeLessThanOrEqual(1800);
    const { iat, exp } = claims(login.body.access_token as string);
    expect(exp - iat).toBe(login.body.expires_in);
  });

  it('shares the account throttles with GraphQL: one count per client across both doors', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.8' };
    const rest = await limitedHttp.send('POST', '/auth/register', {
      body: new URLSearchParams(legacyRegistration()).toString(),
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(rest.status).toBe(201);
    const graphql = await limited.client.request(REGISTER, { input: newUserInput() }, undefined, headers);
    expect(graphql.errors).toBeUndefined();
    const third = await limitedHttp.send('POST', '/auth/register', {
      body: new URLSearchParams(legacyRegistration()).toString(),
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ message: 'Too Many Attempts.' });
    const refused = await limited.client.request(REGISTER, { input: newUserInput() }, undefined, headers);
    expect(refused.errors?.[0].extensions?.code).toBe('TOO_MANY_REQUESTS');
  });
});

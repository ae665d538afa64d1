import { SignJWT } from 'jose';
import { ADMIN, createUser, LOGIN, newUserInput, REGISTER } from '../fixtures/users';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

const ME = 'query { me { id email name role status } }';
const REFRESH =
  'mutation R($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken tokenType } }';
const LOGOUT = 'mutation { logout }';
const CHANGE_PASSWORD =
  'mutation C($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const UPDATE_PROFILE =
  'mutation U($input: UpdateProfileInput!) { updateProfile(input: $input) { id name email phonenumber imageLink } }';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function signed(claims: Record<string, unknown>, secret = TEST_JWT_SECRET, expiresIn = '15m') {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('jobwarehouse')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

describe('register', () => {
  it('creates an account, logs it in and returns tokens', async () => {
    const input = newUserInput({ email: 'Mixed.Case@Example.com' });
    const { register } = await t.client.ok<{
      register: {
        accessToken: string;
        tokenType: string;
        expiresIn: number;
        user: { email: string; role: string };
      };
    }>(REGISTER, { input });
    expect(register.tokenType).toBe('bearer');
    expect(register.expiresIn).toBe(900);
    expect(register.user).toMatchObject({ email: 'mixed.case@example.com', role: 'JOBSEEKER' });
    const { me } = await t.client.ok<{ me: { email: string; status: string } }>(ME, {}, register.accessToken);
    expect(me).toMatchObject({ email: 'mixed.case@example.com', status: 'ACTIVE' });
  });

  it('refuses a taken email or phone number with CONFLICT naming the field', async () => {
    const first = await createUser(t.client);
    const dupEmail = await t.client.fails(REGISTER, {
      input: newUserInput({ email: first.email.toUpperCase() }),
    });
    expect(dupEmail.extensions?.code).toBe('CONFLICT');
    expect(dupEmail.message).toContain('email');
    const dupPhone = await t.client.fails(REGISTER, {
      input: newUserInput({ phonenumber: first.phonenumber }),
    });
    expect(dupPhone.extensions?.code).toBe('CONFLICT');
    expect(dupPhone.message).toContain('phonenumber');
  });

  it('refuses malformed fields with BAD_USER_INPUT naming each one, and stores nothing', async () => {
    const input = newUserInput({ email: 'not-an-email', password: 'short' });
    const error = await t.client.fails(REGISTER, { input });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.fields).toEqual(expect.arrayContaining(['email', 'password']));
    expect(error.message).toMatch(/email/);
    const login = await t.client.fails(LOGIN, { email: 'not-an-email', password: 'short' });
    expect(login.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a missing field and a wrong type', async () => {
    const { name: _name, ...withoutName } = newUserInput();
    const missing = await t.client.request(REGISTER, { input: withoutName });
    expect(missing.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(missing.errors?.[0].message).toContain('name');
    const wrongType = await t.client.request(REGISTER, { input: newUserInput({ role: 42 }) });
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses to register an admin', async () => {
    const input = newUserInput({ role: 'ADMIN' });
    const error = await t.client.fails(REGISTER, { input });
    expect(error.extensions?.code).toBe('FORBIDDEN');
    const login = await t.client.fails(LOGIN, { email: input.email, password: input.password });
    expect(login.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('login', () => {
  it('logs in the development admin', async () => {
    const { login } = await t.client.ok<{ login: { user: { role: string; email: string } } }>(LOGIN, ADMIN);
    expect(login.user).toMatchObject({ role: 'ADMIN', email: ADMIN.email });
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const user = await createUser(t.client);
    const wrong = await t.client.fails(LOGIN, { email: user.email, password: 'wrong-password' });
    const unknown = await t.client.fails(LOGIN, { email: 'nobody@example.com', password: 'whatever1' });
    expect(wrong.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown).toMatchObject({ message: wrong.message, extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe('access tokens', () => {
  it('refuses anonymous requests to protected operations', async () => {
    const error = await t.client.fails(ME);
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a malformed Authorization header', async () => {
    const user = await createUser(t.client);
    const result = await t.client.request(ME, {}, undefined, { authorization: `Token ${user.token}` });
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses forged, expired, unsigned and garbage tokens', async () => {
    const user = await createUser(t.client);
    const [, payload] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; sid: string };
    const forged = await signed(
      { sub: claims.sub, sid: claims.sid },
      'another-secret-of-sufficient-length-123',
    );
    const expired = await signed({ sub: claims.sub, sid: claims.sid }, TEST_JWT_SECRET, '-1m');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const unsigned = `${header}.${payload}.`;
    for (const token of [forged, expired, unsigned, 'garbage']) {
      const error = await t.client.fails(ME, {}, token);
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await t.client.fails(ME, {}, expired)).message).toContain('expired');
    // The real token still works.
    const { me } = await t.client.ok<{ me: { id: string } }>(ME, {}, user.token);
    expect(me.id).toBe(user.id);
  });

  it('does not let a stale token block a login', async () => {
    const user = await createUser(t.client);
    const result = await t.client.request(LOGIN, { email: user.email, password: user.password }, 'garbage');
    expect(result.errors).toBeUndefined();
  });
});

describe('refresh tokens', () => {
  it('rotates: a refresh token works once and the new one works', async () => {
    const user = await createUser(t.client);
    const { refreshToken: first } = await t.client.ok<{
      refreshToken: { accessToken: string; refreshToken: string; tokenType: string };
    }>(REFRESH, { t: user.refreshToken });
    expect(first.tokenType).toBe('bearer');
    expect(first.refreshToken).not.toBe(user.refreshToken);
    await t.client.ok(ME, {}, first.accessToken);
    const second = await t.client.ok<{ refreshToken: { refreshToken: string } }>(REFRESH, {
      t: first.refreshToken,
    });
    expect(second.refreshToken.refreshToken).not.toBe(first.refreshToken);
  });

  it('revokes the whole session when a spent refresh token is presented again', async () => {
    const user = await createUser(t.client);
    const rotated = await t.client.ok<{ refreshToken: { accessToken: string; refreshToken: string } }>(
      REFRESH,
      {
        t: user.refreshToken,
      },
    );
    const reuse = await t.client.fails(REFRESH, { t: user.refreshToken });
    expect(reuse.extensions?.code).toBe('UNAUTHENTICATED');
    // The thief's replay ended the session: the legitimate new tokens stop working too.
    expect((await t.client.fails(REFRESH, { t: rotated.refreshToken.refreshToken })).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await t.client.fails(ME, {}, rotated.refreshToken.accessToken)).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    // Another login still works.
    await t.client.ok(LOGIN, { email: user.email, password: user.password });
  });

  it('refuses an unknown refresh token', async () => {
    const error = await t.client.fails(REFRESH, { t: 'not-a-real-token' });
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('logout', () => {
  it("ends the session: its access and refresh tokens stop working, other sessions don't", async () => {
    const user = await createUser(t.client);
    const other = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
      email: user.email,
      password: user.password,
    });
    expect(await t.client.ok(LOGOUT, {}, user.token)).toEqual({ logout: true });
    expect((await t.client.fails(ME, {}, user.token)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.client.fails(REFRESH, { t: user.refreshToken })).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    await t.client.ok(ME, {}, other.login.accessToken);
  });

  it('needs a login', async () => {
    expect((await t.client.fails(LOGOUT)).extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('changePassword', () => {
  it('refuses a wrong current password and keeps the old one', async () => {
    const user = await createUser(t.client);
    const error = await t.client.fails(
      CHANGE_PASSWORD,
      { c: 'not-my-password', n: 'brand-new-password' },
      user.token,
    );
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('currentPassword');
    await t.client.ok(LOGIN, { email: user.email, password: user.password });
  });

  it('refuses a too short new password', async () => {
    const user = await createUser(t.client);
    const error = await t.client.fails(CHANGE_PASSWORD, { c: user.password, n: 'short' }, user.token);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('newPassword');
    await t.client.ok(LOGIN, { email: user.email, password: user.password });
  });

  it('changes the password and ends the other sessions', async () => {
    const user = await createUser(t.client);
    const other = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
      email: user.email,
      password: user.password,
    });
    await t.client.ok(CHANGE_PASSWORD, { c: user.password, n: 'brand-new-password' }, user.token);
    expect(
      (await t.client.fails(LOGIN, { email: user.email, password: user.password })).extensions?.code,
    ).toBe('UNAUTHENTICATED');
    await t.client.ok(LOGIN, { email: user.email, password: 'brand-new-password' });
    await t.client.ok(ME, {}, user.token);
    expect((await t.client.fails(ME, {}, other.login.accessToken)).extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('updateProfile', () => {
  it('changes only the given fields', async () => {
    const user = await createUser(t.client);
    const { updateProfile } = await t.client.ok<{ updateProfile: Record<string, unknown> }>(
      UPDATE_PROFILE,
      { input: { name: 'New Name', imageLink: 'https://img.example.com/a.png' } },
      user.token,
    );
    expect(updateProfile).toMatchObject({
      id: user.id,
      name: 'New Name',
      email: user.email,
      phonenumber: user.phonenumber,
      imageLink: 'https://img.example.com/a.png',
    });
    const cleared = await t.client.ok<{ updateProfile: { imageLink: string | null; name: string } }>(
      UPDATE_PROFILE,
      { input: { imageLink: null } },
      user.token,
    );
    expect(cleared.updateProfile).toMatchObject({ imageLink: null, name: 'New Name' });
  });

  it("refuses another user's email with CONFLICT and changes nothing", async () => {
    const user = await createUser(t.client);
    const other = await createUser(t.client);
    const error = await t.client.fails(
      UPDATE_PROFILE,
      { input: { email: other.email, name: 'X' } },
      user.token,
    );
    expect(error.extensions?.code).toBe('CONFLICT');
    const { me } = await t.client.ok<{ me: { email: string; name: string } }>(ME, {}, user.token);
    expect(me).toEqual(expect.objectContaining({ email: user.email, name: user.name }));
  });

  it('refuses a taken email or phone number in the same words whichever it is, naming neither', async () => {
    const user = await createUser(t.client);
    const other = await createUser(t.client);
    const refusals = [];
    for (const input of [
      { email: other.email },
      { email: other.email.toUpperCase() },
      { phonenumber: other.phonenumber },
      { email: other.email, phonenumber: other.phonenumber },
    ]) {
      refusals.push(await t.client.fails(UPDATE_PROFILE, { input }, user.token));
    }
    for (const refusal of refusals) {
      expect(refusal).toEqual({
        message: 'This email address or phone number cannot be used.',
        locations: expect.any(Array),
        path: ['updateProfile'],
        extensions: { code: 'CONFLICT' },
      });
    }
    const { me } = await t.client.ok<{ me: { email: string; phonenumber: string } }>(
      '{ me { email phonenumber } }',
      {},
      user.token,
    );
    expect(me).toEqual({ email: user.email, phonenumber: user.phonenumber });
  });

  it('refuses bad input and needs a login', async () => {
    const user = await createUser(t.client);
    const bad = await t.client.fails(UPDATE_PROFILE, { input: { imageLink: 'not a url' } }, user.token);
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toContain('imageLink');
    const anonymous = await t.client.fails(UPDATE_PROFILE, { input: { name: 'X' } });
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('errors', () => {
  it('never carries a stack trace outside development', async () => {
    const error = await t.client.fails(ME);
    expect(error.extensions?.stacktrace).toBeUndefined();
  });
});

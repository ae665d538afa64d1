import { createUser, LOGIN, loginAdmin, type TestUser } from '../fixtures/users';
import { startTestServer, type TestServer } from '../support/test-server';

const CHANGE_PASSWORD =
  'mutation C($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const UPDATE_PROFILE = 'mutation U($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }';
const SET_STATUS =
  'mutation B($id: ID!, $status: UserStatus!) { setUserStatus(userId: $id, status: $status) { id status } }';
const STATUS = 'query S($id: ID!) { user(id: $id) { status } }';
const ROUNDS = 6;

let t: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t.client);
});
afterAll(async () => {
  await t.close();
});

const ban = (user: TestUser) => t.client.request(SET_STATUS, { id: user.id, status: 'BANNED' }, admin.token);

/** The ban is in the database and neither the old nor the new password logs the user in. */
async function expectBanStands(user: TestUser, passwords: string[]): Promise<void> {
  const { user: stored } = await t.client.ok<{ user: { status: string } }>(
    STATUS,
    { id: user.id },
    admin.token,
  );
  expect(stored.status).toBe('BANNED');
  const logins = await Promise.all(
    passwords.map((password) => t.client.request(LOGIN, { email: user.email, password })),
  );
  for (const login of logins) expect(login.data?.login ?? null).toBeNull();
  // The one right password meets the ban, whichever of the two writes won.
  expect(logins.map((login) => login.errors?.[0].extensions?.code)).toContain('FORBIDDEN');
}

it('a password change racing a ban never undoes the ban', async () => {
  for (let round = 0; round < ROUNDS; round += 1) {
    const user = await createUser(t.client);
    const newPassword = `a-new-password-${round}`;
    const [, banned] = await Promise.all([
      t.client.request(CHANGE_PASSWORD, { c: user.password, n: newPassword }, user.token),
      ban(user),
    ]);
    expect(banned.errors).toBeUndefined();
    await expectBanStands(user, [user.password, newPassword]);
  }
});

it('a profile update racing a ban never undoes the ban, and keeps the profile change if it succeeded', async () => {
  for (let round = 0; round < ROUNDS; round += 1) {
    const user = await createUser(t.client);
    const name = `Renamed ${round}`;
    const [updated, banned] = await Promise.all([
      t.client.request(UPDATE_PROFILE, { input: { name } }, user.token),
      ban(user),
    ]);
    expect(banned.errors).toBeUndefined();
    await expectBanStands(user, [user.password]);
    if (updated.errors === undefined) {
      const { user: stored } = await t.client.ok<{ user: { name: string } }>(
        'query N($id: ID!) { user(id: $id) { name } }',
        { id: user.id },
        admin.token,
      );
      expect(stored.name).toBe(name);
    }
  }
});

it('a refused password change leaves the password as it was', async () => {
  const user = await createUser(t.client);
  const refused = await t.client.fails(
    CHANGE_PASSWORD,
    { c: 'not-the-password', n: 'another-password' },
    user.token,
  );
  expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
  expect(
    (await t.client.request(LOGIN, { email: user.email, password: user.password })).errors,
  ).toBeUndefined();
});

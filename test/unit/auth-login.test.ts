import type { DataSource } from 'typeorm';
import { User, UserStatus } from '../../src/entities';
import { loadConfig } from '../../src/config/config';
import type { SessionNotices } from '../../src/events/session-notices';
import { Throttles } from '../../src/http/throttles';
import { AuthService } from '../../src/services/auth.service';
import { PasswordHasher } from '../../src/services/password-hasher';
import { TokenSigner } from '../../src/services/token-signer';
import type { UserService } from '../../src/services/user.service';

/** The real argon2 hasher, recording which stored hash each verification ran against. */
class CountingHasher extends PasswordHasher {
  readonly verified: string[] = [];

  override verify(hashed: string, password: string): Promise<boolean> {
    this.verified.push(hashed);
    return super.verify(hashed, password);
  }
}

// Only the user lookup is reached by the refusals tested here; no session is ever started.
function serviceWith(users: User[], hasher: PasswordHasher): AuthService {
  const repository = {
    findOneBy: ({ email }: { email: string }) =>
      Promise.resolve(users.find((u) => u.email === email) ?? null),
  };
  const dataSource = { getRepository: () => repository } as unknown as DataSource;
  const notices: SessionNotices = { revoked: () => undefined };
  const throttles = Throttles.create(loadConfig({ NODE_ENV: 'test' }).throttles);
  return new AuthService(dataSource, {} as UserService, hasher, {} as TokenSigner, 60, notices, throttles);
}

async function userWith(hasher: PasswordHasher, status: UserStatus): Promise<User> {
  return Object.assign(new User(), {
    id: 1,
    email: 'known@example.com',
    password: await hasher.hash('the-right-password'),
    status,
  });
}

it('verifies an unknown email against a dummy argon2 hash, as much work as a known one', async () => {
  const hasher = new CountingHasher();
  const known = await userWith(hasher, UserStatus.ACTIVE);
  const auth = serviceWith([known], hasher);

  await expect(auth.login('known@example.com', 'a-wrong-password', '127.0.0.1')).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
    message: 'Invalid email or password.',
  });
  await expect(auth.login('unknown@example.com', 'a-wrong-password', '127.0.0.1')).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
    message: 'Invalid email or password.',
  });
  await expect(auth.login('other-unknown@example.com', 'x', '127.0.0.1')).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
  });

  expect(hasher.verified).toHaveLength(3);
  expect(hasher.verified[0]).toBe(known.password);
  // The unknown emails were checked against one fixed argon2id hash, not skipped.
  expect(hasher.verified[1]).toMatch(/^\$argon2id\$/);
  expect(hasher.verified[1]).not.toBe(known.password);
  expect(hasher.verified[2]).toBe(hasher.verified[1]);
});

it('checks the password before saying an account is banned', async () => {
  const hasher = new CountingHasher();
  const banned = await userWith(hasher, UserStatus.BANNED);
  const auth = serviceWith([banned], hasher);

  await expect(auth.login('known@example.com', 'a-wrong-password', '127.0.0.1')).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
  });
  await expect(auth.login('known@example.com', 'the-right-password', '127.0.0.1')).rejects.toMatchObject({
    extensions: { code: 'FORBIDDEN' },
    message: 'This account is banned.',
  });
  expect(hasher.verified).toEqual([banned.password, banned.password]);
});

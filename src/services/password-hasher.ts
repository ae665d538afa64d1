import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

// argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane). `Algorithm` is a const enum,
// which isolated transpilation cannot inline, so its value is written out: 2 = Argon2id.
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * A bcrypt hash as the legacy Laravel app's `bcrypt()` stored it (PHP writes `$2y$`; other implementations `$2a$`
 * or `$2b$`; any cost), brought over by `import:legacy`.
 */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Hashes passwords with argon2id; checks argon2 hashes and the legacy bcrypt ones. */
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(hashed: string, password: string): Promise<boolean> {
    try {
      return BCRYPT_HASH.test(hashed)
        ? await bcrypt.compare(password, hashed)
        : await verify(hashed, password);
    } catch {
      // A malformed stored hash must read as a wrong password, never as a server error.
      return false;
    }
  }

  /** True for a stored hash that is not argon2id (a legacy bcrypt one): it is replaced at the next login. */
  needsUpgrade(hashed: string): boolean {
    return !hashed.startsWith('$argon2id$');
  }
}

import { hash, verify } from '@node-rs/argon2';

// argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane). `Algorithm` is a const enum,
// which isolated transpilation cannot inline, so its value is written out: 2 = Argon2id.
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes and checks passwords. */
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  async verify(hashed: string, password: string): Promise<boolean> {
    try {
      return await verify(hashed, password);
    } catch {
      // A malformed stored hash must read as a wrong password, never as a server error.
      return false;
    }
  }
}

import { createHash, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

export interface AccessClaims {
  readonly userId: number;
  readonly sessionId: string;
  /** The session's token generation the token was signed for; tokens without the claim belong to generation 0. */
  readonly generation?: number;
}

const ALGORITHM = 'HS256';
const ISSUER = 'jobwarehouse';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many verified tokens are remembered; past it the oldest goes. */
const VERIFIED_TOKENS_MAX = 10_000;

/** Signs and verifies access JWTs and makes opaque refresh tokens. */
export class TokenSigner {
  /** A KeyObject made once: given raw bytes, jose would import the key again on every verification. */
  private readonly key: KeyObject;
  /**
   * Tokens that passed verification, with their claims and expiry. A client sends the same token with every
   * request until it expires, and its signature and claims cannot change under one key, so only the expiry needs
   * checking again; whether its session still lives is the caller's check, made every time.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly accessTokenTtlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** Signs for `ttlSeconds`, the configured access token lifetime unless a caller (the legacy login) asks for its own. */
  signAccessToken(claims: AccessClaims, ttlSeconds = this.accessTokenTtlSeconds): Promise<string> {
    // Generation 0 is left out, so the tokens of a session no legacy refresh touched look as they always did.
    const generation = (claims.generation ?? 0) === 0 ? {} : { gen: claims.generation };
    return new SignJWT({ sid: claims.sessionId, ...generation })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(String(claims.userId))
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  /** The claims of a valid token, or a reason it was refused. */
  async verifyAccessToken(token: string): Promise<AccessClaims | { refused: string }> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      // The same instant jose's own check refuses it at: `exp` no longer after the current second.
      if (Date.now() < known.expiresAtMs) return known.claims;
      this.verified.delete(token);
      return { refused: 'token expired' };
    }
    try {
      // The algorithm is pinned, so a token signed with `none` or another key type is refused.
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: ISSUER });
      const userId = Number(payload.sub);
      const generation = payload.gen ?? 0;
      if (
        !Number.isInteger(userId) ||
        typeof payload.sid !== 'string' ||
        !UUID.test(payload.sid) ||
        typeof generation !== 'number' ||
        !Number.isInteger(generation)
      ) {
        return { refused: 'malformed token' };
      }
      const claims = { userId, sessionId: payload.sid, generation };
      if (payload.exp !== undefined) this.remember(token, claims, payload.exp * 1000);
      return claims;
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { refused: 'token expired' };
      return { refused: 'invalid token' };
    }
  }

  private remember(token: string, claims: AccessClaims, expiresAtMs: number): void {
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      // A Map iterates in insertion order: the first key is the oldest.
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    this.verified.set(token, { claims, expiresAtMs });
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: TokenSigner.hashRefreshToken(token) };
  }

  static hashRefreshToken(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}

import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { hydrate } from '../database/hydrate';
import { AuthSession, RefreshToken, User, UserRole, UserStatus } from '../entities';
import { badInput, forbidden, unauthenticated } from '../errors';
import type { SessionNotices } from '../events/session-notices';
import type { Throttles } from '../http/throttles';
import { countAttempt } from './attempts';
import { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './password-hasher';
import { SessionCache } from './session-cache';
import { revokeSessions } from './session-revocation';
import { TokenSigner } from './token-signer';
import { normalizeEmail, type UserService } from './user.service';
import type { Viewer } from './viewer';

export interface AuthResult {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly user: User;
}

export interface RegisterData {
  readonly email: string;
  readonly password: string;
  readonly name: string;
  readonly phonenumber: string;
  readonly address: string;
  readonly role: UserRole;
  readonly imageLink?: string | null;
}

const BANNED = 'This account is banned.';

/** How a login's tokens are made: the legacy REST login asks for the long lifetime its apps expect. */
export interface TokenOptions {
  /** The access token's lifetime in seconds; the configured ACCESS_TOKEN_TTL when not given. */
  readonly accessTokenTtlSeconds?: number;
}

/** A session joined with its user's columns. */
interface SessionRow extends Record<string, unknown> {
  readonly session_user_id: number;
  readonly session_revoked_at: Date | null;
  readonly session_created_at: Date;
  readonly session_token_generation: number;
}
const SESSION_TOO_OLD = 'the session is older than its maximum age; log in again';
const DEFAULT_SESSION_MAX_AGE_SECONDS = 30 * 86400;

/** Logins, sessions and tokens: who a token belongs to, and whether it still counts. */
export class AuthService {
  /** Verified against when an email is unknown, so that answer costs one argon2 verification like the others. */
  private dummyHash: Promise<string> | undefined;
  private readonly loginThrottle: LoginThrottle;
  private readonly sessions: SessionCache<SessionRow>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly signer: TokenSigner,
    private readonly refreshTokenTtlSeconds: number,
    private readonly notices: SessionNotices,
    private readonly throttles: Throttles,
    private readonly sessionMaxAgeSeconds = DEFAULT_SESSION_MAX_AGE_SECONDS,
    sessionCacheTtlMs = 0,
  ) {
    this.loginThrottle = new LoginThrottle(throttles);
    this.sessions = new SessionCache<SessionRow>(sessionCacheTtlMs);
  }

  /** Forgets what the session cache holds of these users: their row or a session of theirs changed. */
  forgetSessions(userIds: readonly number[]): void {
    this.sessions.forgetUsers(userIds);
  }

  /** Forgets the whole session cache (the notices of changes may have been lost). */
  clearSessionCache(): void {
    this.sessions.clear();
  }

  /** Creates an account and logs it in; throttled per client address (`client`). */
  async register(data: RegisterData, client: string): Promise<AuthResult> {
    const user = await this.createAccount(data, client);
    return this.dataSource.transaction((manager) => this.startSession(manager, user));
  }

  /** Creates an account without logging it in (the legacy register did not); throttled per client address. */
  async createAccount(data: RegisterData, client: string): Promise<User> {
    await countAttempt(this.throttles, 'registerPerIp', client);
    if (data.role === UserRole.ADMIN) throw forbidden('An admin account cannot be registered.');
    const password = await this.hasher.hash(data.password);
    return this.users.create({ ...data, password });
  }

  /** Logs in from the client address `client`; failures are throttled as LoginThrottle describes. */
  async login(
    email: string,
    password: string,
    client: string,
    options: TokenOptions = {},
  ): Promise<AuthResult> {
    const account = normalizeEmail(email);
    const attempt = await this.loginThrottle.attempt(account, client);
    const user = await this.dataSource.getRepository(User).findOneBy({ email: account });
    // The same answer, after the same work, for an unknown email and a wrong password, so neither the message nor
    // the time taken tells whether an account exists.
    this.dummyHash ??= this.hasher.hash(randomUUID());
    const hashed = user?.password ?? (await this.dummyHash);
    const matches = await this.hasher.verify(hashed, password);
    if (user === null || !matches) throw unauthenticated('Invalid email or password.');
    await attempt.succeeded();
    // Checked only after the password, so only someone who knows it learns the account is banned.
    if (user.status === UserStatus.BANNED) throw forbidden(BANNED);
    const upgrade = await this.legacyHashUpgrade(user, password);
    return this.dataSource.transaction(async (manager) => {
      await upgrade?.(manager);
      return this.startSession(manager, user, options);
    });
  }

  /**
   * For a user whose stored hash is a legacy one (bcrypt, from the Laravel app): the write that replaces it with
   * argon2id, run in the transaction that starts the session. Hashed before, so no lock is held meanwhile.
   */
  private async legacyHashUpgrade(
    user: User,
    password: string,
  ): Promise<((manager: EntityManager) => Promise<void>) | undefined> {
    if (!this.hasher.needsUpgrade(user.password)) return undefined;
    const legacy = user.password;
    const upgraded = await this.hasher.hash(password);
    return async (manager) => {
      // Plain SQL: a new hash of the same password is not a profile change, so updated_at stays. Only over the hash
      // just verified: a password changed meanwhile is kept.
      await manager.query('UPDATE users SET password = $1 WHERE user_id = $2 AND password = $3', [
        upgraded,
        user.id,
        legacy,
      ]);
      user.password = upgraded;
    };
  }

  /** Rotates a refresh token; presenting a spent one revokes its whole session, as it may have been stolen. */
  async refresh(refreshToken: string, client: string): Promise<AuthResult> {
    await countAttempt(this.throttles, 'refreshTokenPerIp', client);
    const tokenHash = TokenSigner.hashRefreshToken(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager) => {
      // The row lock makes two concurrent uses of one token take turns, so only the first one rotates it.
      const stored = await manager.findOne(RefreshToken, {
        where: { tokenHash },
        lock: { mode: 'pessimistic_write' },
      });
      const session = stored
        ? await manager.findOne(AuthSession, { where: { id: stored.sessionId }, relations: { user: true } })
        : null;
      if (!stored || !session?.user || session.revokedAt !== null)
        return { refused: 'Invalid refresh token.' };
      if (stored.usedAt !== null) {
        session.revokedAt = new Date();
        await manager.save(session);
        return {
          refused: 'This refresh token was already used; the session has been revoked.',
          revoked: { userId: session.userId, only: session.id },
        };
      }
      if (stored.expiresAt.getTime() <= Date.now()) return { refused: 'This refresh token has expired.' };
      if (this.isTooOld(session)) return { refused: `Refresh token refused: ${SESSION_TOO_OLD}.` };
      if (session.user.status === UserStatus.BANNED) return { refused: BANNED };
      stored.usedAt = new Date();
      await manager.save(stored);
      return { result: await this.issueTokens(manager, session.user, session) };
    });
    // The revocation above must commit, so the refusal is thrown only after the transaction.
    if ('refused' in outcome) {
      if (outcome.revoked) this.notices.revoked(outcome.revoked);
      throw unauthenticated(outcome.refused);
    }
    return outcome.result;
  }

  /**
   * The legacy `/api/auth/refresh`: a new access token for the viewer's session, which retires the one the viewer
   * presented (and any other of that session) while the session and its sockets go on.
   */
  async reissue(viewer: Viewer, client: string, options: TokenOptions = {}): Promise<AuthResult> {
    await countAttempt(this.throttles, 'refreshTokenPerIp', client);
    return this.dataSource.transaction(async (manager) => {
      // Locked, so of two refreshes with one token only the first gets a new one.
      const session = await manager.findOne(AuthSession, {
        where: { id: viewer.sessionId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!session || session.revokedAt !== null || session.tokenGeneration !== viewer.tokenGeneration) {
        throw unauthenticated('Access token refused: the session has ended.');
      }
      session.tokenGeneration += 1;
      await manager.save(session);
      return this.issueTokens(manager, viewer.user, session, options);
    });
  }

  async logout(viewer: Viewer): Promise<boolean> {
    const revocation = { userId: viewer.user.id, only: viewer.sessionId };
    await this.dataSource.transaction((manager) => revokeSessions(manager, revocation.userId, revocation));
    this.notices.revoked(revocation);
    return true;
  }

  /** Changes the password and ends every other session; throttled per user. */
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<boolean> {
    await countAttempt(this.throttles, 'changePasswordPerUser', String(viewer.user.id));
    const before = await this.dataSource.getRepository(User).findOneByOrFail({ id: viewer.user.id });
    if (!(await this.hasher.verify(before.password, currentPassword))) {
      throw badInput('currentPassword', 'is not the current password.');
    }
    // Hashing takes tens of milliseconds, so it happens before the row is locked, not while holding it.
    const password = await this.hasher.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      // Re-read under lock: saving the row read above would write back a ban committed while hashing.
      const user = await manager.findOneOrFail(User, {
        where: { id: viewer.user.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (user.status === UserStatus.BANNED) throw forbidden(BANNED);
      if (user.password !== before.password) {
        throw badInput('currentPassword', 'is not the current password.');
      }
      user.password = password;
      await manager.save(user);
      // Other logins end: whoever knew the old password should not stay signed in.
      await revokeSessions(manager, user.id, { except: viewer.sessionId });
    });
    this.notices.revoked({ userId: viewer.user.id, except: viewer.sessionId });
    return true;
  }

  /** The viewer an access token stands for; refused when expired, forged, logged out or banned. */
  async authenticate(accessToken: string): Promise<Viewer> {
    const claims = await this.signer.verifyAccessToken(accessToken);
    if ('refused' in claims) throw unauthenticated(`Access token refused: ${claims.refused}.`);
    const cached = this.sessions.get(claims.sessionId);
    if (cached !== undefined) {
      // A cached row only lets a request through; anything else is read again, as a change may be newer.
      const viewer = this.viewerFrom(claims, cached);
      if ('viewer' in viewer) return viewer.viewer;
    }
    const begun = this.sessions.begin();
    // The hottest read of all (every request): one statement, and rows hydrated without a query builder.
    const [row] = (await this.dataSource.query(
      `SELECT s.user_id AS session_user_id, s.revoked_at AS session_revoked_at,
              s.created_at AS session_created_at, s.token_generation AS session_token_generation, u.*
         FROM auth_sessions s JOIN users u ON u.user_id = s.user_id
        WHERE s.session_id = $1`,
      [claims.sessionId],
    )) as SessionRow[];
    const viewer = this.viewerFrom(claims, row);
    if ('refused' in viewer) throw unauthenticated(viewer.refused);
    this.sessions.set(claims.sessionId, row.session_user_id, row, begun);
    return viewer.viewer;
  }

  /** The viewer a session row stands for under these claims, or why the token is refused. */
  private viewerFrom(
    claims: { readonly sessionId: string; readonly userId: number; readonly generation?: number },
    row: SessionRow | undefined,
  ): { viewer: Viewer } | { refused: string } {
    const session =
      row === undefined
        ? undefined
        : {
            id: claims.sessionId,
            userId: row.session_user_id,
            revokedAt: row.session_revoked_at,
            createdAt: row.session_created_at,
            tokenGeneration: row.session_token_generation,
            // A new entity per request, so no resolver shares (or changes) another's.
            user: hydrate<User>(this.dataSource.getMetadata(User), row),
          };
    if (!session?.user || session.userId !== claims.userId || session.revokedAt !== null) {
      return { refused: 'Access token refused: the session has ended.' };
    }
    if (session.user.status === UserStatus.BANNED) return { refused: `Access token refused: ${BANNED}` };
    if (this.isTooOld(session)) return { refused: `Access token refused: ${SESSION_TOO_OLD}.` };
    if (session.tokenGeneration !== (claims.generation ?? 0)) {
      return { refused: 'Access token refused: it was replaced by a refreshed one.' };
    }
    return {
      viewer: { user: session.user, sessionId: session.id, tokenGeneration: session.tokenGeneration },
    };
  }

  /**
   * Which of these sessions still count (not revoked, user not banned, within the maximum age), in one query: the
   * sockets of the others must close, even when the notice that they ended was lost.
   */
  async liveSessions(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.dataSource
      .getRepository(AuthSession)
      .createQueryBuilder('session')
      .innerJoin('session.user', 'user')
      .select('session.id', 'id')
      .where('session.id IN (:...ids)', { ids: [...new Set(sessionIds)] })
      .andWhere('session.revokedAt IS NULL')
      .andWhere('user.status != :banned', { banned: UserStatus.BANNED })
      .andWhere('session.createdAt > :oldest', { oldest: this.oldestLiveSession() })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((row) => row.id));
  }

  private oldestLiveSession(): Date {
    return new Date(Date.now() - this.sessionMaxAgeSeconds * 1000);
  }

  private isTooOld(session: Pick<AuthSession, 'createdAt'>): boolean {
    return session.createdAt.getTime() <= this.oldestLiveSession().getTime();
  }

  private async startSession(
    manager: EntityManager,
    user: User,
    options: TokenOptions = {},
  ): Promise<AuthResult> {
    const session = manager.create(AuthSession, {
      id: randomUUID(),
      userId: user.id,
      revokedAt: null,
      tokenGeneration: 0,
    });
    await manager.save(session);
    return this.issueTokens(manager, user, session, options);
  }

  private async issueTokens(
    manager: EntityManager,
    user: User,
    session: Pick<AuthSession, 'id' | 'tokenGeneration' | 'createdAt'>,
    options: TokenOptions = {},
  ): Promise<AuthResult> {
    const sessionId = session.id;
    const refresh = this.signer.newRefreshToken();
    await manager.save(
      manager.create(RefreshToken, {
        tokenHash: refresh.hash,
        sessionId,
        expiresAt: new Date(Date.now() + this.refreshTokenTtlSeconds * 1000),
        usedAt: null,
      }),
    );
    // A long-lived (legacy) token never claims to outlive the session's absolute lifetime, which ends it anyway.
    const sessionLeft = Math.floor(
      (session.createdAt.getTime() + this.sessionMaxAgeSeconds * 1000 - Date.now()) / 1000,
    );
    const expiresIn =
      options.accessTokenTtlSeconds === undefined
        ? this.signer.accessTokenTtlSeconds
        : Math.max(1, Math.min(options.accessTokenTtlSeconds, sessionLeft));
    const accessToken = await this.signer.signAccessToken(
      { userId: user.id, sessionId, generation: session.tokenGeneration },
      expiresIn,
    );
    return { accessToken, refreshToken: refresh.token, expiresIn, user };
  }
}

import { type DataSource, type EntityManager, type FindOptionsWhere, ILike, MoreThan } from 'typeorm';
import { User, UserStatus, type UserRole } from '../entities';
import { AppError, badInput, conflict, notFound } from '../errors';
import type { SessionNotices } from '../events/session-notices';
import type { Throttles } from '../http/throttles';
import { definedOnly } from './changes';
import { uniqueViolation } from './db-errors';
import { DEFAULT_PAGE_SIZE } from './paging';
import { revokeSessions } from './session-revocation';
import { countAttempt } from './attempts';
import { isAdmin, requireAdmin, type Viewer } from './viewer';

export interface NewUser {
  readonly email: string;
  /** Already hashed. */
  readonly password: string;
  readonly name: string;
  readonly phonenumber: string;
  readonly address: string;
  readonly role: UserRole;
  readonly imageLink?: string | null;
}

export interface ProfileChanges {
  readonly email?: string;
  readonly name?: string;
  readonly phonenumber?: string;
  readonly address?: string;
  readonly imageLink?: string | null;
}

export const SEARCH_LIMIT = 25;

/**
 * A profile change to an email or phone number that is taken. The same words whichever it is (or both), so that
 * changing one's profile does not tell whether someone else has an account.
 */
const unusableContact = (): AppError =>
  new AppError('CONFLICT', 'This email address or phone number cannot be used.');

/** Accounts: creating, reading, searching, profiles and bans. */
export class UserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly notices: SessionNotices,
    private readonly throttles: Throttles,
  ) {}

  /** Creates an account; a taken email or phone number is a CONFLICT naming the field. */
  async create(data: NewUser, manager: EntityManager = this.dataSource.manager): Promise<User> {
    const user = manager.create(User, {
      ...data,
      email: normalizeEmail(data.email),
      phonenumber: data.phonenumber.trim(),
      imageLink: data.imageLink ?? null,
      status: UserStatus.ACTIVE,
    });
    await this.assertUnique(manager, user, takenField);
    return this.saveUnique(manager, user, takenField);
  }

  async get(id: number): Promise<User> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id });
    if (!user) throw notFound('User', id);
    return user;
  }

  /** Active users whose name contains the text; for an admin also those whose email or phone number does. */
  search(viewer: Viewer, query: string, first = SEARCH_LIMIT): Promise<User[]> {
    const pattern = `%${escapeLike(query.trim())}%`;
    // Matching contact data for everyone would reveal it one guessed character at a time.
    const columns = isAdmin(viewer) ? ['name', 'email', 'phonenumber'] : ['name'];
    return this.dataSource.getRepository(User).find({
      where: columns.map((column) => ({
        [column]: ILike(pattern),
        status: UserStatus.ACTIVE,
      })),
      order: { name: 'ASC', id: 'ASC' },
      take: Math.min(first, SEARCH_LIMIT),
    });
  }

  /** Every user, oldest first, for admins; `after` is the last id of the previous page. */
  list(viewer: Viewer, options: { search?: string; first?: number; after?: number }): Promise<User[]> {
    requireAdmin(viewer);
    const after = options.after === undefined ? {} : { id: MoreThan(options.after) };
    return this.dataSource.getRepository(User).find({
      where: listConditions(options.search, after),
      order: { id: 'ASC' },
      take: options.first ?? DEFAULT_PAGE_SIZE,
    });
  }

  /** The same list by page number, with the total (the legacy admin list is a numbered paginator). */
  async listPage(
    viewer: Viewer,
    options: { search?: string; page: number; perPage: number },
  ): Promise<{ users: User[]; total: number }> {
    requireAdmin(viewer);
    const [users, total] = await this.dataSource.getRepository(User).findAndCount({
      where: listConditions(options.search, {}),
      order: { id: 'ASC' },
      skip: (options.page - 1) * options.perPage,
      take: options.perPage,
    });
    return { users, total };
  }

  /** Changes the viewer's own profile; throttled per user, and a taken email or phone says only that it cannot be used. */
  async updateProfile(viewer: Viewer, changes: ProfileChanges): Promise<User> {
    await countAttempt(this.throttles, 'updateProfilePerUser', String(viewer.user.id));
    return this.dataSource.transaction(async (manager) => {
      // Locked, so a ban or another profile change committed meanwhile is read here and not written back.
      const user = await manager.findOneOrFail(User, {
        where: { id: viewer.user.id },
        lock: { mode: 'pessimistic_write' },
      });
      const { email, phonenumber, ...rest } = definedOnly(changes);
      Object.assign(user, rest);
      if (email !== undefined) user.email = normalizeEmail(email);
      if (phonenumber !== undefined) user.phonenumber = phonenumber.trim();
      // Unlike the other fields, null is a value here: it removes the picture.
      if (changes.imageLink === null) user.imageLink = null;
      await this.assertUnique(manager, user, unusableContact);
      return this.saveUnique(manager, user, unusableContact);
    });
  }

  /** Bans or unbans a user; a ban ends every session of theirs at once. */
  async setStatus(viewer: Viewer, userId: number, status: UserStatus): Promise<User> {
    requireAdmin(viewer);
    if (userId === viewer.user.id) throw badInput('userId', 'an admin cannot change their own status.');
    const user = await this.dataSource.transaction(async (manager) => {
      const found = await manager.findOne(User, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!found) throw notFound('User', userId);
      found.status = status;
      await manager.save(found);
      if (status === UserStatus.BANNED) await revokeSessions(manager, found.id);
      return found;
    });
    if (status === UserStatus.BANNED) this.notices.revoked({ userId });
    return user;
  }

  /** Refuses, with the error `refusal` makes for the field, an email or phone number another user has. */
  private async assertUnique(manager: EntityManager, user: User, refusal: Refusal): Promise<void> {
    const taken = await manager.find(User, {
      where: [{ email: user.email }, { phonenumber: user.phonenumber }],
      select: { id: true, email: true, phonenumber: true },
    });
    const others = taken.filter((other) => other.id !== user.id);
    if (others.some((other) => other.email === user.email)) throw refusal('email');
    if (others.length > 0) throw refusal('phonenumber');
  }

  /** Saves, turning a unique violation from a concurrent write into the same CONFLICT the check gives. */
  private async saveUnique(manager: EntityManager, user: User, refusal: Refusal): Promise<User> {
    try {
      return await manager.save(user);
    } catch (error) {
      const violated = uniqueViolation(error);
      if (violated === undefined) throw error;
      throw refusal(violated.includes('phonenumber') ? 'phonenumber' : 'email');
    }
  }
}

/** Who the admin list shows: everyone, or those whose name, email or phone number contains the search. */
function listConditions(search: string | undefined, base: FindOptionsWhere<User>): FindOptionsWhere<User>[] {
  const text = search?.trim();
  if (text === undefined || text === '') return [base];
  return (['name', 'email', 'phonenumber'] as const).map((column) => ({
    ...base,
    [column]: ILike(`%${escapeLike(text)}%`),
  }));
}

type Refusal = (field: 'email' | 'phonenumber') => AppError;

/** Registration names the taken field, as the legacy API did (it is throttled per client address). */
const takenField: Refusal = (field) => conflict(field, 'is already registered.');

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

import type { DataSource } from 'typeorm';
import { User, UserRole } from '../entities';
import { AppError } from '../errors';
import type { PasswordHasher } from './password-hasher';
import type { UserService } from './user.service';

/**
 * Creates the first admin when the database has none: in development the well-known account, in production the
 * one ADMIN_EMAIL / ADMIN_PASSWORD name. Returns whether it created one.
 */
export async function ensureAdminAccount(
  dataSource: DataSource,
  users: UserService,
  hasher: PasswordHasher,
  admin: { email: string; password: string } | undefined,
): Promise<boolean> {
  if (await dataSource.getRepository(User).existsBy({ role: UserRole.ADMIN })) return false;
  if (admin === undefined) {
    throw new Error('The database has no admin: set ADMIN_EMAIL and ADMIN_PASSWORD to create the first one');
  }
  try {
    await users.create({
      email: admin.email,
      password: await hasher.hash(admin.password),
      name: 'Admin',
      // The legacy schema requires a unique phone number; the admin can change this placeholder.
      phonenumber: '0000000000',
      address: '-',
      role: UserRole.ADMIN,
    });
  } catch (error) {
    // Instances starting together on an empty database race here: the one that lost finds the admin created.
    if (error instanceof AppError && error.code === 'CONFLICT') return false;
    throw error;
  }
  return true;
}

import { MessageStatus, NotificationStatus, UserRole, UserStatus } from '../entities/enums';
import { normalizeEmail } from '../services/user.service';
import type { LegacyRow } from './legacy-source';

// The target's limits: `integer` ids and the varchar lengths of the entities.
const MAX_ID = 2_147_483_647;
const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
/** What stands in for a timestamp Laravel left NULL (rows written around Eloquent): fixed, so a re-run sees no change. */
const NO_TIMESTAMP = '1970-01-01 00:00:00';

export interface UserRow {
  readonly user_id: number;
  readonly email: string;
  readonly password: string;
  readonly name: string;
  readonly phonenumber: string;
  readonly address: string;
  readonly role: string;
  readonly status: string;
  readonly image_link: string | null;
  /** As the legacy database wrote it, in the app's timezone; the target places it in `--timezone`. */
  readonly created_at: string;
  readonly updated_at: string;
}

export interface MessageRow {
  readonly message_id: number;
  readonly detail: string;
  readonly status: string;
  readonly sender_id: number;
  readonly receiver_id: number;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface NotificationRow {
  readonly notification_id: number;
  readonly title: string;
  readonly detail: string;
  readonly status: string;
  readonly receiver_id: number;
  readonly created_at: string;
  readonly updated_at: string;
}

/** A row fit for the target, or why it breaks the contract. */
export type Checked<T> = { readonly row: T } | { readonly problem: string };

/** Reads one legacy row column by column, keeping the first reason it cannot be imported. */
class RowReader {
  problem: string | undefined;

  constructor(private readonly raw: LegacyRow) {}

  id(column: string): number {
    const value = Number(this.raw[column]);
    if (!Number.isInteger(value) || value < 1 || value > MAX_ID) {
      this.fail(`${column} ${String(this.raw[column])} is not an id from 1 to ${MAX_ID}`);
    }
    return value;
  }

  text(column: string, maxLength?: number): string {
    const value = this.nullableText(column, maxLength);
    if (value === null) this.fail(`${column} is NULL`);
    return value ?? '';
  }

  nullableText(column: string, maxLength?: number): string | null {
    const value = this.raw[column];
    if (value === null || value === undefined) return null;
    const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    // PostgreSQL text cannot hold U+0000.
    if (text.includes('\u0000')) this.fail(`${column} contains a NUL character`);
    if (maxLength !== undefined && [...text].length > maxLength) {
      this.fail(`${column} is longer than ${maxLength} characters`);
    }
    return text;
  }

  choice(column: string, allowed: readonly string[]): string {
    const value = this.text(column);
    if (!allowed.includes(value)) {
      this.fail(`${column} "${value}" is not one of ${allowed.join(', ')}`);
    }
    return value;
  }

  /** Both timestamps; one left NULL takes the other's value (MySQL's zero date counts as NULL). */
  timestamps(): { created_at: string; updated_at: string } {
    const created = this.timestamp('created_at');
    const updated = this.timestamp('updated_at');
    return { created_at: created ?? updated ?? NO_TIMESTAMP, updated_at: updated ?? created ?? NO_TIMESTAMP };
  }

  result<T>(row: T): Checked<T> {
    return this.problem === undefined ? { row } : { problem: this.problem };
  }

  private timestamp(column: string): string | null {
    const value = this.raw[column];
    if (value === null || value === undefined) return null;
    const text = String(value);
    if (text.startsWith('0000-00-00')) return null;
    if (!NAIVE_TIMESTAMP.test(text)) this.fail(`${column} "${text}" is not a date and time`);
    return text;
  }

  private fail(reason: string): void {
    this.problem ??= reason;
  }
}

const values = (enumeration: Record<string, string>): string[] => Object.values(enumeration);

export function checkUser(raw: LegacyRow): Checked<UserRow> {
  const read = new RowReader(raw);
  return read.result({
    user_id: read.id('user_id'),
    // Logins look the email up normalized, as registration stores it.
    email: normalizeEmail(read.text('email', 255)),
    password: read.text('password', 255),
    name: read.text('name', 255),
    phonenumber: read.text('phonenumber', 32),
    address: read.text('address', 255),
    role: read.choice('role', values(UserRole)),
    status: read.choice('status', values(UserStatus)),
    image_link: read.nullableText('image_link', 2048),
    ...read.timestamps(),
  });
}

export function checkMessage(raw: LegacyRow): Checked<MessageRow> {
  const read = new RowReader(raw);
  return read.result({
    message_id: read.id('message_id'),
    detail: read.text('detail'),
    status: read.choice('status', values(MessageStatus)),
    sender_id: read.id('sender_id'),
    receiver_id: read.id('receiver_id'),
    ...read.timestamps(),
  });
}

export function checkNotification(raw: LegacyRow): Checked<NotificationRow> {
  const read = new RowReader(raw);
  return read.result({
    notification_id: read.id('notification_id'),
    title: read.text('title', 255),
    detail: read.text('detail'),
    status: read.choice('status', values(NotificationStatus)),
    receiver_id: read.id('receiver_id'),
    ...read.timestamps(),
  });
}

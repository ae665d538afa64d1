import mysql from 'mysql2/promise';
import { ImportError } from './import-error';
import { redact } from './options';

/** The legacy tables this server owns, in the order they are imported (messages and notifications need users). */
export const DOMAIN_TABLES = ['users', 'messages', 'notifications'] as const;
export type DomainTable = (typeof DOMAIN_TABLES)[number];

export const ID_COLUMN: Record<DomainTable, string> = {
  users: 'user_id',
  messages: 'message_id',
  notifications: 'notification_id',
};

/** The columns the Laravel migrations create (branch dev, `database/migrations`). */
const COLUMNS: Record<DomainTable, readonly string[]> = {
  users: [
    'user_id',
    'email',
    'password',
    'name',
    'phonenumber',
    'address',
    'role',
    'status',
    'image_link',
    'created_at',
    'updated_at',
  ],
  messages: ['message_id', 'detail', 'status', 'sender_id', 'receiver_id', 'created_at', 'updated_at'],
  notifications: ['notification_id', 'title', 'detail', 'status', 'receiver_id', 'created_at', 'updated_at'],
};

/** One legacy row as mysql2 gives it: DATETIME and TIMESTAMP values as the database's own strings. */
export type LegacyRow = Readonly<Record<string, unknown>>;

/** Where the previous run stopped reading a table: rows past `lastId`, or updated at or after `lastUpdatedAt`. */
export interface ReadMark {
  readonly lastId: number;
  readonly lastUpdatedAt: string | null;
}

export interface LegacySource {
  /** The source's tables outside this server's domain (employers, job_seekers, recruitments, reviews, …). */
  readonly otherTables: readonly string[];
  /** How many rows `batches` will give (for the progress line). */
  count(table: DomainTable, mark: ReadMark | undefined): Promise<number>;
  /** The table's rows in id order, `size` at a time: all of them, or only the delta after `mark`. */
  batches(table: DomainTable, mark: ReadMark | undefined, size: number): AsyncGenerator<LegacyRow[]>;
  close(): Promise<void>;
}

/** Why the source cannot be read, in one line. */
function describe(error: unknown, from: string): ImportError {
  const { code, message, sqlState } = error as { code?: string; message?: string; sqlState?: string };
  const where = redact(from);
  // SQLSTATE 28000: invalid authorization, whichever of MySQL's and MariaDB's error numbers says it.
  if (sqlState === '28000')
    return new ImportError(`the legacy database refused the login: ${message ?? code}`);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      return new ImportError(`cannot reach the legacy database at ${where} (${code})`);
    case 'ER_DBACCESS_DENIED_ERROR':
      return new ImportError(`the legacy database refused the login: ${message ?? code}`);
    case 'ER_BAD_DB_ERROR':
      return new ImportError(`the legacy database has no such database: ${message ?? code}`);
    default:
      return new ImportError(`cannot read the legacy database at ${where}: ${message ?? String(error)}`);
  }
}

/**
 * Connects to the legacy MySQL/MariaDB database and opens one read-only transaction with a consistent snapshot, so
 * every table is read as of the same moment while the Laravel app keeps writing. Checks that the legacy tables are
 * there with their columns before anything else is touched.
 */
export async function openLegacySource(from: string): Promise<LegacySource> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      uri: from,
      charset: 'utf8mb4',
      // Laravel's timestamps come back as written, and are placed in --timezone by the target, not by mysql2.
      dateStrings: true,
      supportBigNumbers: true,
      connectTimeout: 10_000,
    });
  } catch (error) {
    throw describe(error, from);
  }
  // A dropped connection emits 'error' besides failing the query under way; the query's error is the one reported.
  connection.on('error', () => undefined);
  try {
    const [tableRows] = await connection.query<mysql.RowDataPacket[]>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const tables = tableRows.map((row) => String(row.name)).sort();
    const missing = DOMAIN_TABLES.filter((table) => !tables.includes(table));
    if (missing.length > 0) {
      throw new ImportError(
        `the source has no legacy tables ${missing.join(', ')}: is it the Laravel app's database? (${redact(from)})`,
      );
    }
    const [columnRows] = await connection.query<mysql.RowDataPacket[]>(
      `SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name IN (?)`,
      [DOMAIN_TABLES],
    );
    for (const table of DOMAIN_TABLES) {
      const present = new Set(columnRows.filter((row) => row.tbl === table).map((row) => String(row.col)));
      const absent = COLUMNS[table].filter((column) => !present.has(column));
      if (absent.length > 0) {
        throw new ImportError(`the legacy table ${table} has no column ${absent.join(', ')}`);
      }
    }
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    return new MysqlSource(
      connection,
      tables.filter((table) => !(DOMAIN_TABLES as readonly string[]).includes(table)),
      from,
    );
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error instanceof ImportError ? error : describe(error, from);
  }
}

class MysqlSource implements LegacySource {
  constructor(
    private readonly connection: mysql.Connection,
    readonly otherTables: readonly string[],
    private readonly from: string,
  ) {}

  async count(table: DomainTable, mark: ReadMark | undefined): Promise<number> {
    const { where, params } = deltaFilter(table, mark, 0);
    const [rows] = await this.run(`SELECT COUNT(*) AS n FROM ?? WHERE ${where}`, [table, ...params]);
    return Number(rows[0].n);
  }

  async *batches(table: DomainTable, mark: ReadMark | undefined, size: number): AsyncGenerator<LegacyRow[]> {
    const id = ID_COLUMN[table];
    let after = 0;
    for (;;) {
      // Keyset paging on the primary key: each batch is an index range, so memory stays one batch whatever the size.
      const { where, params } = deltaFilter(table, mark, after);
      const [rows] = await this.run(`SELECT ?? FROM ?? WHERE ${where} ORDER BY ?? LIMIT ?`, [
        COLUMNS[table],
        table,
        ...params,
        id,
        size,
      ]);
      if (rows.length === 0) return;
      yield rows;
      after = Number(rows[rows.length - 1][id]);
      if (rows.length < size) return;
    }
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => undefined);
  }

  private async run(sql: string, params: unknown[]): Promise<[mysql.RowDataPacket[]]> {
    try {
      const [rows] = await this.connection.query<mysql.RowDataPacket[]>(sql, params);
      return [rows];
    } catch (error) {
      throw describe(error, this.from);
    }
  }
}

/** Rows past `after` in id order; with a mark, only those with a higher id or an `updated_at` at or past it. */
function deltaFilter(
  table: DomainTable,
  mark: ReadMark | undefined,
  after: number,
): { where: string; params: unknown[] } {
  const id = ID_COLUMN[table];
  if (mark === undefined) return { where: '?? > ?', params: [id, after] };
  if (mark.lastUpdatedAt === null)
    return { where: '?? > ? AND ?? > ?', params: [id, after, id, mark.lastId] };
  return {
    where: '?? > ? AND (?? > ? OR updated_at >= ?)',
    params: [id, after, id, mark.lastId, mark.lastUpdatedAt],
  };
}

import mysql from 'mysql2/promise';

/** The MariaDB/MySQL server the import tests build legacy databases on (root, no password, on CI machines). */
export const LEGACY_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
/** Databases the tests create start with this, so concurrent runs on one server keep apart. */
const PREFIX = process.env.TEST_MYSQL_DATABASE_PREFIX ?? 'jw_test_';

/** Whether a MySQL server answers; on a developer's machine without one the tests are left out, never in CI. */
export async function legacyMysqlAvailable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: LEGACY_MYSQL_URL, connectTimeout: 2000 });
    await connection.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true')
      throw new Error(`The import tests need MySQL or MariaDB at ${LEGACY_MYSQL_URL}`, {
        cause: error,
      });
    process.stderr.write(
      `Legacy import tests left out: no MySQL at ${LEGACY_MYSQL_URL} (${String(error)}).\n`,
    );
    return false;
  }
}

/**
 * The tables as `php artisan migrate` creates them on MySQL from the Laravel app's migrations (hca610/
 * Web_monquachothay, branch dev, `database/migrations`): Laravel 8's MySQL grammar, utf8mb4_unicode_ci, `id()` as
 * bigint unsigned, `timestamps()` as nullable TIMESTAMP, `foreignId()` with its foreign key.
 */
const LARAVEL_SCHEMA = [
  `create table \`migrations\` (\`id\` int unsigned not null auto_increment primary key, \`migration\` varchar(255) not null, \`batch\` int not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  `create table \`users\` (\`user_id\` bigint unsigned not null auto_increment primary key, \`email\` varchar(255) not null, \`password\` varchar(255) not null, \`name\` varchar(255) not null, \`phonenumber\` varchar(255) not null, \`address\` varchar(255) not null, \`role\` enum('jobseeker', 'employer', 'admin') not null, \`status\` enum('active', 'banned') not null default 'active', \`image_link\` varchar(255) null, \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `users` add unique `users_email_unique`(`email`)',
  'alter table `users` add unique `users_phonenumber_unique`(`phonenumber`)',
  `create table \`notifications\` (\`notification_id\` bigint unsigned not null auto_increment primary key, \`title\` text not null, \`detail\` text not null, \`status\` enum('hidden', 'unseen', 'seen') not null default 'unseen', \`receiver_id\` bigint unsigned not null default '1', \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `notifications` add constraint `notifications_receiver_id_foreign` foreign key (`receiver_id`) references `users` (`user_id`)',
  `create table \`messages\` (\`message_id\` bigint unsigned not null auto_increment primary key, \`detail\` text not null, \`status\` enum('hidden', 'unseen', 'seen') not null default 'unseen', \`sender_id\` bigint unsigned not null default '1', \`receiver_id\` bigint unsigned not null default '1', \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `messages` add constraint `messages_sender_id_foreign` foreign key (`sender_id`) references `users` (`user_id`)',
  'alter table `messages` add constraint `messages_receiver_id_foreign` foreign key (`receiver_id`) references `users` (`user_id`)',
  `create table \`employers\` (\`employer_id\` bigint unsigned not null auto_increment primary key, \`user_id\` bigint unsigned not null, \`about_us\` varchar(255) null, \`num_employee\` int null, \`category\` varchar(255) null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `employers` add constraint `employers_user_id_foreign` foreign key (`user_id`) references `users` (`user_id`)',
  `create table \`job_seekers\` (\`job_seeker_id\` bigint unsigned not null auto_increment primary key, \`user_id\` bigint unsigned not null, \`birthday\` date null, \`gender\` enum('male', 'female', 'other') null, \`qualification\` varchar(255) null, \`work_experience\` varchar(255) null, \`education\` varchar(255) null, \`skill\` varchar(255) null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `job_seekers` add constraint `job_seekers_user_id_foreign` foreign key (`user_id`) references `users` (`user_id`)',
  `create table \`recruitments\` (\`recruitment_id\` bigint unsigned not null auto_increment primary key, \`category\` varchar(255) not null, \`employer_id\` bigint unsigned not null, \`min_salary\` int not null, \`job_name\` varchar(255) not null, \`detail\` text not null, \`status\` enum('opening', 'closed') not null default 'opening', \`requirement\` text not null, \`address\` varchar(255) not null, \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  'alter table `recruitments` add constraint `recruitments_employer_id_foreign` foreign key (`employer_id`) references `employers` (`employer_id`)',
  `create table \`job_seeker_recruitment\` (\`id\` bigint unsigned not null auto_increment primary key, \`job_seeker_id\` bigint unsigned not null, \`recruitment_id\` bigint unsigned not null, \`type\` enum('pending', 'reviewed', 'hired', 'rejected') null, \`following\` tinyint(1) null default '0', \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  `create table \`reviews\` (\`review_id\` bigint unsigned not null auto_increment primary key, \`detail\` text not null, \`status\` enum('hidden', 'unseen', 'seen') not null default 'unseen', \`sender_id\` bigint unsigned not null default '1', \`receiver_id\` bigint unsigned not null default '1', \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
  `create table \`images\` (\`id\` bigint unsigned not null auto_increment primary key, \`name\` varchar(255) not null, \`path\` varchar(255) not null, \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci'`,
];

/** A legacy database of its own on the test MySQL server, its schema as the Laravel app's migrations made it. */
export class LegacyDatabase {
  private constructor(
    readonly name: string,
    private readonly connection: mysql.Connection,
  ) {}

  /** The URL `import:legacy --from` takes. */
  get url(): string {
    return `${LEGACY_MYSQL_URL}/${this.name}`;
  }

  /** Drops and creates `<prefix><suffix>` with the Laravel schema (and no rows). */
  static async create(suffix: string, schema = true): Promise<LegacyDatabase> {
    const name = `${PREFIX}${suffix}`.replace(/[^A-Za-z0-9_]/g, '_');
    const connection = await mysql.createConnection({ uri: LEGACY_MYSQL_URL, charset: 'utf8mb4' });
    await connection.query('DROP DATABASE IF EXISTS ??', [name]);
    await connection.query('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name]);
    await connection.query('USE ??', [name]);
    if (schema) for (const statement of LARAVEL_SCHEMA) await connection.query(statement);
    return new LegacyDatabase(name, connection);
  }

  async query(sql: string, params: unknown[] = []): Promise<void> {
    await this.connection.query(sql, params);
  }

  /** Inserts rows as Eloquent does: every column named, timestamps as `Y-m-d H:i:s` strings. */
  async insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    for (const row of rows) await this.connection.query('INSERT INTO ?? SET ?', [table, row]);
  }

  async drop(): Promise<void> {
    await this.connection.query('DROP DATABASE IF EXISTS ??', [this.name]);
    await this.connection.end();
  }
}

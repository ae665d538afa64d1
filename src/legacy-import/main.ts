import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/config';
import { type Database, openDatabase, runMigrations } from '../database/database';
import { lockDataDir } from '../process/data-dir-lock';
import { importLegacy, type ImportReport } from './import-legacy';
import { type LegacySource, openLegacySource } from './legacy-source';
import { parseOptions } from './options';

// `npm run import:legacy -- --from mysql://USER:PASS@HOST:PORT/DB`: see docs/MIGRATING.md.

const out = (line: string) => process.stdout.write(`${line}\n`);

function printReport(report: ImportReport): void {
  out('');
  out(`${'table'.padEnd(16)}${'read'.padStart(10)}${'written'.padStart(10)}${'skipped'.padStart(10)}`);
  for (const { table, read, written, skipped } of report.tables) {
    out(
      `${table.padEnd(16)}${String(read).padStart(10)}${String(written).padStart(10)}${String(skipped).padStart(10)}`,
    );
  }
  if (report.otherTables.length > 0) {
    out(`skipped tables (outside this server's domain): ${report.otherTables.join(', ')}`);
  }
  out(
    report.delta
      ? 'a delta run: only rows added or updated since the last import were read'
      : 'a first import',
  );
}

async function run(): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const options = parseOptions(process.argv.slice(2));
  const config = loadConfig();
  // The source first: an unreachable or wrong one stops the run before the target is touched at all.
  const source: LegacySource = await openLegacySource(options.from);
  let releaseLock: (() => void) | undefined;
  let database: Database | undefined;
  try {
    if (config.databaseUrl === undefined) releaseLock = lockDataDir(config.dataDir);
    database = await openDatabase(config);
    await runMigrations(database);
    const terminal = process.stderr.isTTY;
    const report = await importLegacy(source, database.dataSource, options, {
      countForProgress: terminal,
      progress: terminal
        ? (table, read, total) => process.stderr.write(`\r${table}: ${read} of ${total} rows read\u001b[K`)
        : undefined,
      problem: ({ table, id, reason }) => {
        if (terminal) process.stderr.write('\r\u001b[K');
        out(`skipped ${table} ${id}: ${reason}`);
      },
    });
    if (terminal) process.stderr.write('\r\u001b[K');
    printReport(report);
    if (!report.committed) {
      process.stderr.write(
        `import:legacy: --strict: ${report.problems.length} row(s) break the contract; nothing was changed\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await source.close();
    await database?.close();
    releaseLock?.();
  }
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // ImportError, DataDirLockedError and ConfigError say what is wrong in a line; others are said as they came.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`import:legacy: ${message.split('\n').join('\n  ')}\n`);
    process.exit(1);
  },
);

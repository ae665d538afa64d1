// Fails when the entities and the migrations drift apart: applies every migration to a fresh embedded database,
// then asks TypeORM what it would still have to change to match the entities.
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config';
import { openDatabase, runMigrations } from '../src/database/database';

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-drift-'));
  const database = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }));
  try {
    await runMigrations(database);
    const pending = await database.dataSource.driver.createSchemaBuilder().log();
    if (pending.upQueries.length > 0) {
      console.error('The entities differ from the migrations. Missing statements:');
      for (const query of pending.upQueries) console.error(`  ${query.query.trim()};`);
      console.error('Generate a migration: DATABASE_URL=... npm run migration:generate -- migrations/<Name>');
      process.exitCode = 1;
    } else {
      console.log('Migrations match the entities.');
    }
  } finally {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main();

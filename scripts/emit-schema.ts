// Writes schema.graphql from the code, or with --check fails when the committed file differs from it.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { createRealtimePubSub } from '../src/realtime/topics';

async function main(): Promise<void> {
  const file = path.join(__dirname, '..', 'schema.graphql');
  const emitted = `${printSchema(await createSchema(createRealtimePubSub()))}\n`;
  if (!process.argv.includes('--check')) {
    writeFileSync(file, emitted);
    console.log(`wrote ${file}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is reported as stale below.
  }
  if (committed !== emitted) {
    console.error('schema.graphql is stale: run `npm run schema:emit` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql matches the code.');
}

void main();

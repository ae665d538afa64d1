import type { EntityMetadata, ObjectLiteral } from 'typeorm';
import { hydrate } from '../database/hydrate';

/** How Laravel serialized dates: UTC with microseconds, e.g. `2021-12-11T13:30:17.000000Z`. */
export function laravelTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Every column of a row under its database (snake_case) name, as Laravel's `toArray()` gave it. Text is as the row
 * stores it: a lone UTF-16 surrogate (which JSON lets a client send as `\ud800`) reaches PostgreSQL as U+FFFD, so
 * it is U+FFFD here too, and the event says what the row holds.
 */
export function toLegacyModel(metadata: EntityMetadata, entity: ObjectLiteral): Record<string, unknown> {
  const model: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    const value: unknown = column.getEntityValue(entity);
    model[column.databaseName] =
      value instanceof Date
        ? laravelTimestamp(value)
        : typeof value === 'string'
          ? value.toWellFormed()
          : (value ?? null);
  }
  return model;
}

/** The Pusher event data of Laravel 8 model broadcasting, byte for byte in key order. */
export function legacyPayload(metadata: EntityMetadata, entity: ObjectLiteral): string {
  return JSON.stringify({ model: toLegacyModel(metadata, entity), connection: null, queue: null });
}

/**
 * The legacy payload of a row about to be inserted, in two parts around its id, which the insert draws: the id is
 * the model's first key, so the row's payload is `head + id + tail`. `entity` carries 0 as its id.
 */
export function legacyPayloadAroundId(
  metadata: EntityMetadata,
  entity: ObjectLiteral,
): { readonly head: string; readonly tail: string } {
  const payload = legacyPayload(metadata, entity);
  const head = `{"model":{"${metadata.columns[0].databaseName}":`;
  if (!metadata.columns[0].isPrimary || !payload.startsWith(`${head}0,`))
    throw new Error(`${metadata.name}: the payload does not start with its id 0`);
  return { head, tail: payload.slice(head.length + 1) };
}

/** The entity a legacy payload describes, for GraphQL subscribers who get the same data as Pusher clients. */
export function fromLegacyPayload<T extends ObjectLiteral>(metadata: EntityMetadata, payload: string): T {
  const { model } = JSON.parse(payload) as { model: Record<string, unknown> };
  for (const column of metadata.columns) {
    const value = model[column.databaseName];
    const isDate = column.type === 'timestamptz' || column.isCreateDate || column.isUpdateDate;
    if (isDate && typeof value === 'string') model[column.databaseName] = new Date(value);
  }
  return hydrate<T>(metadata, model);
}

// The column types legacyPayloadSql can render as legacyPayload does (Number: a generated integer key); a bigint or numeric, say, arrives in
// JavaScript as a string and would be quoted there but not by to_json.
const PLAIN_SQL_TYPES = new Set<unknown>(['int', 'integer', 'text', 'varchar', 'enum', Number, String]);

/**
 * A SQL expression of the row `alias` (a row of `metadata`'s table) that is byte for byte `legacyPayload` of it,
 * for a set-based change that writes its events in the same statement. PostgreSQL's `to_json` escapes text as
 * JSON.stringify does (`"`, `\`, control characters as `\b \f \n \r \t` or lowercase `\u00xx`, nothing else; text
 * holds no lone surrogates), and timestamps are written as `laravelTimestamp` writes them.
 */
export function legacyPayloadSql(metadata: EntityMetadata, alias: string): string {
  const fields = metadata.columns.map((column) => {
    const name = `${alias}."${column.databaseName}"`;
    const key = JSON.stringify(column.databaseName);
    if (column.type === 'timestamptz' || column.isCreateDate || column.isUpdateDate) {
      return `'${key}:' || coalesce('"' || to_char(${name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"000Z"') || '"', 'null')`;
    }
    if (!PLAIN_SQL_TYPES.has(column.type)) {
      throw new Error(`legacyPayloadSql: column ${metadata.tableName}.${column.databaseName} is not plain`);
    }
    return `'${key}:' || coalesce(to_json(${name})::text, 'null')`;
  });
  return `('{"model":{' || ${fields.join(` || ',' || `)} || '},"connection":null,"queue":null}')`;
}

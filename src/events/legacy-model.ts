import type { EntityMetadata, ObjectLiteral } from 'typeorm';
import { hydrate } from '../database/hydrate';

/** How Laravel serialized dates: UTC with microseconds, e.g. `2021-12-11T13:30:17.000000Z`. */
export function laravelTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Every column of a row under its database (snake_case) name, as Laravel's `toArray()` gave it. */
export function toLegacyModel(metadata: EntityMetadata, entity: ObjectLiteral): Record<string, unknown> {
  const model: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    const value: unknown = column.getEntityValue(entity);
    model[column.databaseName] = value instanceof Date ? laravelTimestamp(value) : (value ?? null);
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

import type { EntityMetadata, ObjectLiteral } from 'typeorm';

/**
 * An entity from one row keyed by database column names, as TypeORM's own hydration builds it but without a query
 * builder per call: the hot reads run their SQL directly. The result is an instance of the entity class, so
 * identity-based checks and GraphQL type resolution treat it like any loaded entity.
 */
export function hydrate<T extends ObjectLiteral>(
  metadata: EntityMetadata,
  row: Readonly<Record<string, unknown>>,
): T {
  const entity = metadata.create() as T;
  for (const column of metadata.columns) column.setEntityValue(entity, row[column.databaseName]);
  return entity;
}

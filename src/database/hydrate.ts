import type { EntityMetadata, ObjectLiteral } from 'typeorm';

/**
 * An entity from one row keyed by database column names, as TypeORM's own hydration builds it but without a query
 * builder per call: the hot reads run their SQL directly. The result is an instance of the entity class, so
 * identity-based checks and GraphQL type resolution treat it like any loaded entity. With a `prefix`, the columns are
 * read from `<prefix><column>`, as a join selects a second table's columns beside the first's.
 */
export function hydrate<T extends ObjectLiteral>(
  metadata: EntityMetadata,
  row: Readonly<Record<string, unknown>>,
  prefix = '',
): T {
  const entity = metadata.create() as T;
  for (const column of metadata.columns) column.setEntityValue(entity, row[prefix + column.databaseName]);
  return entity;
}

/**
 * The select list that reads a joined table's columns as `<prefix><column>` for `hydrate`, leaving out those named
 * in `except`. Built once per process: the metadata does not change.
 */
export function prefixedColumns(
  metadata: EntityMetadata,
  alias: string,
  prefix: string,
  except: readonly string[] = [],
): string {
  return metadata.columns
    .filter((column) => !except.includes(column.databaseName))
    .map((column) => `${alias}.${column.databaseName} AS ${prefix}${column.databaseName}`)
    .join(', ');
}

import type { EntityMetadata, ObjectLiteral } from 'typeorm';

const comparable = (value: unknown): unknown => (value instanceof Date ? value.getTime() : value);

/**
 * The columns whose value differs between the row before and after a save(). `updated_at` is left out: it moves
 * because something else changed, and is no change of its own.
 */
export function changedColumns(
  metadata: EntityMetadata,
  before: ObjectLiteral,
  after: ObjectLiteral,
): string[] {
  return metadata.columns
    .filter((column) => !column.isUpdateDate)
    .filter(
      (column) => comparable(column.getEntityValue(before)) !== comparable(column.getEntityValue(after)),
    )
    .map((column) => column.databaseName);
}

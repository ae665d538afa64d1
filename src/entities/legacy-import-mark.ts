import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How far `import:legacy` has read each legacy table, so the next run reads only the delta: rows with a higher id,
 * and rows whose `updated_at` is at or past the newest one seen (Laravel's timestamps have one-second steps, so a row
 * changed in that same second after the read is read again, and written only if it differs).
 */
@Entity({ name: 'legacy_import_marks' })
export class LegacyImportMark {
  @PrimaryColumn({ name: 'table_name', type: 'varchar', length: 64 })
  tableName!: string;

  // bigint arrives from pg as a string.
  @Column({ name: 'last_id', type: 'bigint' })
  lastId!: string;

  /** The newest `updated_at` read, as the legacy database wrote it (`YYYY-MM-DD HH:MM:SS`, in its own time zone). */
  @Column({ name: 'last_updated_at', type: 'varchar', length: 32, nullable: true })
  lastUpdatedAt!: string | null;

  @Column({ name: 'imported_at', type: 'timestamptz' })
  importedAt!: Date;
}

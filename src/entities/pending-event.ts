import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event staged by the transaction of its change, committed with it, and not yet numbered: the sequencer
 * (`event_log_sequence()`) moves committed rows into the log (`OutboxEvent`) in one statement, and only there do
 * they get their event id. A row lives here for milliseconds; a writer never waits for another to number it.
 */
@Entity({ name: 'event_outbox_pending' })
export class PendingEvent {
  @PrimaryGeneratedColumn({
    name: 'pending_id',
    type: 'bigint',
    primaryKeyConstraintName: 'PK_event_outbox_pending',
  })
  id!: string;

  @Column({ name: 'event_name', type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'recipient_ids', type: 'int', array: true })
  recipientIds!: number[];

  @Column({ type: 'text' })
  payload!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

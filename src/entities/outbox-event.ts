import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A real-time event recorded in the same transaction as the change it announces, so it exists exactly when the
 * change committed. The relay hands it to GraphQL subscribers and to Pusher independently, and keeps the row for a
 * retention period afterwards (inspection, and replay by event id). The partial indexes hold only the pending rows,
 * so the relay's queries stay small however many delivered rows are kept.
 */
@Entity({ name: 'event_outbox' })
@Index('IDX_event_outbox_unpublished', ['id'], { where: '"published_at" IS NULL' })
@Index('IDX_event_outbox_unpushed', ['id'], { where: '"pushed_at" IS NULL AND "dead_at" IS NULL' })
// A GIN index on recipient_ids (created by its migration; TypeORM cannot declare one) finds a user's events to replay.
@Index('IDX_event_outbox_recipients', { synchronize: false })
export class OutboxEvent {
  // bigint arrives from pg as a string; ids only order and identify rows here.
  @PrimaryGeneratedColumn({ name: 'event_id', type: 'bigint' })
  id!: string;

  /** The Pusher event name, e.g. `MessageCreated`. */
  @Column({ name: 'event_name', type: 'varchar', length: 64 })
  name!: string;

  /** The users it is for; each gets it on their private channel and their GraphQL subscriptions. */
  @Column({ name: 'recipient_ids', type: 'int', array: true })
  recipientIds!: number[];

  /** The exact JSON text sent as the Pusher event data (text, not jsonb, which would reorder its keys). */
  @Column({ type: 'text' })
  payload!: string;

  /** Set when the event is claimed for GraphQL subscribers, in the same statement, so no retry repeats it. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** Set once Pusher accepted the event. */
  @Column({ name: 'pushed_at', type: 'timestamptz', nullable: true })
  pushedAt!: Date | null;

  /** Set when Pusher delivery was given up (refused, or failed too often); the row stays for inspection. */
  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true })
  deadAt!: Date | null;

  /** Failed Pusher attempts so far. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

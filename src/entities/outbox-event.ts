import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The event log: a committed real-time event, numbered in the order it became visible (see `PendingEvent`, and
 * `src/delivery/event-log.ts`). Every instance reads it from its own position for its own sockets; the outside
 * Pusher service is fed from it by partition (`FeedPartition`). Rows are kept for a retention period (replay by
 * event id; a user's are found through `EventRecipient`).
 */
@Entity({ name: 'event_outbox' })
export class OutboxEvent {
  // bigint arrives from pg as a string; ids only order and identify rows here. Drawn when the row is sequenced.
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

  /** Set when Pusher delivery was given up (refused, or failed too often); the row stays for inspection. */
  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true })
  deadAt!: Date | null;

  /** Failed Pusher attempts so far. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

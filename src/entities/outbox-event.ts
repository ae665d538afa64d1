import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A real-time event recorded in the same transaction as the change it announces, so it exists exactly when the
 * change committed; the relay delivers it and then deletes it.
 */
@Entity({ name: 'event_outbox' })
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

  /** Set once GraphQL subscribers have been sent the event, so a Pusher retry never repeats it for them. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

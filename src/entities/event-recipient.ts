import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OutboxEvent } from './outbox-event';

/**
 * A replayable event by recipient, written by the log's sequencing as it numbers the event: a user's events found
 * by (user_id, event_id) in order, so a catch-up reads what it returns, however many other users' events there are.
 */
@Entity({ name: 'event_recipients' })
@Index('IDX_event_recipients_event', ['eventId'])
export class EventRecipient {
  @PrimaryColumn({ name: 'user_id', type: 'int', primaryKeyConstraintName: 'PK_event_recipients' })
  userId!: number;

  @PrimaryColumn({ name: 'event_id', type: 'bigint', primaryKeyConstraintName: 'PK_event_recipients' })
  eventId!: string;

  // Pruning an event drops its rows here too.
  @ManyToOne(() => OutboxEvent, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'FK_event_recipients_event' })
  event?: OutboxEvent;
}

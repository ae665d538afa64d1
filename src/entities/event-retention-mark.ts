import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The newest event of each user that pruning deleted: a resume from an id below it may have lost an event, so it
 * answers CURSOR_EXPIRED instead of silently skipping what is gone.
 */
@Entity({ name: 'event_retention_marks' })
export class EventRetentionMark {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  // bigint arrives from pg as a string, like the outbox ids it holds.
  @Column({ name: 'pruned_through', type: 'bigint' })
  prunedThrough!: string;
}

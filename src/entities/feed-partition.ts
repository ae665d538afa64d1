import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One partition (by recipient id) of the outside Pusher service's feed: how far it got, and which instance owns
 * it until when. See `src/delivery/pusher-feed.ts`.
 */
@Entity({ name: 'event_feed_partitions' })
export class FeedPartition {
  @PrimaryColumn({ name: 'partition_no', type: 'int', primaryKeyConstraintName: 'PK_event_feed_partitions' })
  partition!: number;

  /** The instance holding the lease (a random id per process), or null before anyone took it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  owner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', default: () => 'now()' })
  leaseUntil!: Date;

  /** The last event id the service accepted for this partition (or that was not for it). */
  @Column({ type: 'bigint' })
  position!: string;
}

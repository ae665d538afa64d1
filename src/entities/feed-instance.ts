import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An instance feeding the outside Pusher service, alive while its heartbeat is renewed: the live ones share the
 * partitions fairly, and one starting with another partition count than theirs is refused. See
 * `src/delivery/pusher-feed.ts`.
 */
@Entity({ name: 'event_feed_instances' })
export class FeedInstance {
  @PrimaryColumn({
    name: 'instance_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_event_feed_instances',
  })
  instance!: string;

  /** Its PUSHER_FEED_PARTITIONS. */
  @Column({ type: 'int' })
  partitions!: number;

  /** The oldest instances take the partitions that do not divide evenly, so a newcomer moves as few as it can. */
  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'alive_until', type: 'timestamptz' })
  aliveUntil!: Date;
}

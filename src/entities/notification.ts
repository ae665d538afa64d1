import { Field, ID, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { NotificationStatus } from './enums';
import { User } from './user';

// simpleResolvers: fields read straight from the entity, without type-graphql's wrapper around each of the
// hundreds a page holds. Only for types whose GraphQL field names are their property names.
@ObjectType({ simpleResolvers: true, description: 'A notice sent by an admin to one user.' })
@Entity({ name: 'notifications' })
// A user's notifications newest first, and counts by status.
@Index('notifications_receiver_id_idx', ['receiverId', 'id'])
@Index('notifications_receiver_status_idx', ['receiverId', 'status'])
export class Notification {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ name: 'notification_id' })
  id!: number;

  @Field()
  @Column({ type: 'varchar', length: 255 })
  title!: string;

  @Field()
  @Column({ type: 'text' })
  detail!: string;

  @Field(() => NotificationStatus)
  @Column({
    type: 'enum',
    enum: NotificationStatus,
    enumName: 'notification_status',
    default: NotificationStatus.UNSEEN,
  })
  status!: NotificationStatus;

  @Field(() => ID)
  @Column({ name: 'receiver_id', type: 'int' })
  receiverId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'receiver_id' })
  receiverUser?: User;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 0 })
  createdAt!: Date;

  @Field()
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 0 })
  updatedAt!: Date;

  /** Not a column: what subscriptions set (see SubscriptionResolver). */
  @Field(() => ID, {
    nullable: true,
    description:
      'The id of the real-time event that delivered this, as realtimeEvents numbers it (increasing in commit order among your events): set on subscription payloads, null in queries.',
  })
  eventId?: string;
}

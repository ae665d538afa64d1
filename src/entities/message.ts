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
import { MessageStatus } from './enums';
import { User } from './user';

// simpleResolvers: fields read straight from the entity, without type-graphql's wrapper around each of the
// hundreds a page holds. Only for types whose GraphQL field names are their property names.
@ObjectType({ simpleResolvers: true, description: 'A direct message from one user to another.' })
@Entity({ name: 'messages' })
// Conversation paging (both directions) and the latest-chats query.
@Index('messages_sender_receiver_id_idx', ['senderId', 'receiverId', 'id'])
@Index('messages_receiver_sender_id_idx', ['receiverId', 'senderId', 'id'])
// Unseen counts.
@Index('messages_receiver_status_idx', ['receiverId', 'status'])
export class Message {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ name: 'message_id' })
  id!: number;

  @Field()
  @Column({ type: 'text' })
  detail!: string;

  @Field(() => MessageStatus)
  @Column({ type: 'enum', enum: MessageStatus, enumName: 'message_status', default: MessageStatus.UNSEEN })
  status!: MessageStatus;

  @Field(() => ID)
  @Column({ name: 'sender_id', type: 'int' })
  senderId!: number;

  @Field(() => ID)
  @Column({ name: 'receiver_id', type: 'int' })
  receiverId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_id' })
  senderUser?: User;

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

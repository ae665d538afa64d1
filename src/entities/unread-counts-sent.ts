import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user';

/**
 * The unread counts last announced to each user (`UnreadCountsUpdated`), so a change is announced only when a
 * count moved. No row means all zero: every change to messages and notifications passes through the announcer,
 * and the migration that added this table recorded the counts users already had.
 */
@Entity({ name: 'unread_counts' })
export class UnreadCountsSent {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'unseen_messages', type: 'int' })
  unseenMessages!: number;

  @Column({ name: 'unseen_conversations', type: 'int' })
  unseenConversations!: number;

  @Column({ name: 'unseen_notifications', type: 'int' })
  unseenNotifications!: number;
}

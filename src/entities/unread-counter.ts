import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user';

/**
 * A user's unread counts, kept up to date by triggers on `messages` and `notifications` (migration
 * UnreadCountersByDelta) in the statement that changes them, whatever wrote it: each changed row moves them by
 * one, so a write costs the same however many unseen rows the user has. Beside them, the counts last announced
 * (`UnreadCountsUpdated`), so a commit announces only what it moved. No row means all zero.
 */
@Entity({ name: 'unread_counts' })
export class UnreadCounter {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'unseen_messages', type: 'int', default: 0 })
  unseenMessages!: number;

  /** Senders with at least one unseen message to the user: the pairs of `unseen_pairs` above zero. */
  @Column({ name: 'unseen_conversations', type: 'int', default: 0 })
  unseenConversations!: number;

  @Column({ name: 'unseen_notifications', type: 'int', default: 0 })
  unseenNotifications!: number;

  @Column({ name: 'announced_messages', type: 'int', default: 0 })
  announcedMessages!: number;

  @Column({ name: 'announced_conversations', type: 'int', default: 0 })
  announcedConversations!: number;

  @Column({ name: 'announced_notifications', type: 'int', default: 0 })
  announcedNotifications!: number;
}

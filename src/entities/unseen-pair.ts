import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How many unseen messages a sender has sent a receiver, kept by the triggers that keep `unread_counts`: a pair
 * going from zero to one moves the receiver's `unseen_conversations` up, and back to zero down. Rows at zero
 * stay (a chat that goes on reuses its row). No foreign keys: when a user is deleted, the cascade removing
 * their messages passes through the triggers, which would otherwise meet a pair row already gone.
 */
@Entity({ name: 'unseen_pairs' })
export class UnseenPair {
  @PrimaryColumn({ name: 'receiver_id', type: 'int' })
  receiverId!: number;

  @PrimaryColumn({ name: 'sender_id', type: 'int' })
  senderId!: number;

  @Column({ type: 'int', default: 0 })
  unseen!: number;
}

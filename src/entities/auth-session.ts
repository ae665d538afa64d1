import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user';

/** One login: the family of rotated refresh tokens, and what access tokens name in their `sid` claim. */
@Entity({ name: 'auth_sessions' })
export class AuthSession {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  id!: string;

  @Index('auth_sessions_user_idx')
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /**
   * Which access token of the session counts: a legacy `/api/auth/refresh` moves it on, so the token it replaced
   * stops working while the session (and every socket bound to it) goes on.
   */
  @Column({ name: 'token_generation', type: 'int', default: 0 })
  tokenGeneration!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

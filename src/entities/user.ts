import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { UserRole, UserStatus } from './enums';

// simpleResolvers: fields read straight from the entity, without type-graphql's wrapper around each of the
// hundreds a page holds. Only for types whose GraphQL field names are their property names.
@ObjectType({
  simpleResolvers: true,
  description: 'A person with an account: a job seeker, an employer or an admin.',
})
@Entity({ name: 'users' })
export class User {
  @Field(() => ID)
  @PrimaryGeneratedColumn({ name: 'user_id' })
  id!: number;

  /** Exposed through a field resolver: only to the user and admins. */
  @Column({ type: 'varchar', length: 255, unique: true })
  email!: string;

  /** The password hash; never exposed. */
  @Column({ type: 'varchar', length: 255 })
  password!: string;

  @Field()
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** Exposed through a field resolver: only to the user and admins. */
  @Column({ type: 'varchar', length: 32, unique: true })
  phonenumber!: string;

  /** Exposed through a field resolver: only to the user and admins. */
  @Column({ type: 'varchar', length: 255 })
  address!: string;

  @Field(() => UserRole)
  @Column({ type: 'enum', enum: UserRole, enumName: 'user_role' })
  role!: UserRole;

  @Field(() => UserStatus)
  @Column({ type: 'enum', enum: UserStatus, enumName: 'user_status', default: UserStatus.ACTIVE })
  status!: UserStatus;

  @Field(() => String, { nullable: true, description: 'URL of the profile picture.' })
  @Column({ name: 'image_link', type: 'varchar', length: 2048, nullable: true })
  imageLink!: string | null;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 0 })
  createdAt!: Date;

  @Field()
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 0 })
  updatedAt!: Date;

  /**
   * When the user last came online or went offline; null until first seen. Not a GraphQL field: only those allowed
   * to see the user's presence read it, through `presence`. Written with plain SQL, so `updated_at` stays put.
   */
  @Column({ name: 'last_seen_at', type: 'timestamptz', precision: 3, nullable: true })
  lastSeenAt!: Date | null;
}

import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({
  description: 'Whether a user is online: true while at least one of their sockets is open anywhere.',
})
export class UserPresence {
  @Field(() => ID, { description: 'The user id, so each change replaces the cached presence of that user.' })
  id!: string;

  @Field(() => ID)
  userId!: string;

  @Field({ description: 'At least one graphql-ws or Pusher socket of the user is open, on any instance.' })
  online!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'When the user last came online or went offline; null if never seen since presence began.',
  })
  lastSeenAt!: Date | null;
}

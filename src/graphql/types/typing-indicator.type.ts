import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Someone started or stopped typing to you.' })
export class TypingIndicator {
  @Field(() => ID, {
    description: 'The pair, `<typist id>:<your id>`: each change replaces the cached indicator of that pair.',
  })
  id!: string;

  @Field(() => ID, { description: 'Who is typing.' })
  userId!: string;

  @Field({ description: 'false once they stopped (5 s after their last keystroke) or sent the message.' })
  typing!: boolean;
}

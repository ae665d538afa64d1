import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Message, MessageStatus, User } from '../../entities';
import type { MessageService } from '../../services/message.service';
import type { Viewer } from '../../services/viewer';
import { PageArgs } from '../args/page.args';
import { SendMessageArgs } from '../args/send-message.args';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { parseId, parseOptionalId } from '../ids';
import { UpdateMessageInput } from '../inputs/update-message.input';
import { ConversationSummary } from '../types/conversation-summary.type';

const conversationId = (userId: number, otherUserId: number): string => `${userId}:${otherUserId}`;

const USER_ID_DESCRIPTION = "Admin only: read another user's data instead of your own.";

@Resolver(() => Message)
export class MessageResolver {
  constructor(private readonly messages: MessageService) {}

  @Query(() => Message, {
    nullable: true,
    description:
      'A message you sent or received (an admin: any); null with NOT_FOUND, other fields keep their data.',
  })
  message(@CurrentViewer() viewer: Viewer, @Arg('id', () => ID) id: string): Promise<Message> {
    return this.messages.get(viewer, parseId(id, 'id'));
  }

  @Query(() => [Message], {
    description: 'The messages between you and another user, newest first. Page back with `before`.',
  })
  conversation(
    @CurrentViewer() viewer: Viewer,
    @Arg('otherUserId', () => ID) otherUserId: string,
    @Arg('userId', () => ID, { nullable: true, description: USER_ID_DESCRIPTION }) userId: string | undefined,
    @Args() page: PageArgs,
  ): Promise<Message[]> {
    return this.messages.conversation(viewer, {
      otherUserId: parseId(otherUserId, 'otherUserId'),
      userId: parseOptionalId(userId, 'userId'),
      first: page.first,
      before: parseOptionalId(page.before, 'before'),
      withUsers: true,
    });
  }

  @Query(() => Int, {
    description: 'How many messages you received, optionally from one user and of one status.',
  })
  messageCount(
    @CurrentViewer() viewer: Viewer,
    @Arg('otherUserId', () => ID, { nullable: true }) otherUserId: string | undefined,
    @Arg('status', () => MessageStatus, { nullable: true }) status: MessageStatus | undefined,
    @Arg('userId', () => ID, { nullable: true, description: USER_ID_DESCRIPTION }) userId: string | undefined,
  ): Promise<number> {
    return this.messages.count(viewer, {
      otherUserId: parseOptionalId(otherUserId, 'otherUserId'),
      status: status ?? undefined,
      userId: parseOptionalId(userId, 'userId'),
    });
  }

  @Query(() => [ConversationSummary], {
    description:
      'The people you have chatted with, newest first, with the last message and the unseen count. ' +
      '`before` is the lastMessage id of the last entry of the page before.',
  })
  conversations(
    @CurrentViewer() viewer: Viewer,
    @Args() page: PageArgs,
    @Arg('userId', () => ID, { nullable: true, description: USER_ID_DESCRIPTION }) userId: string | undefined,
  ): Promise<ConversationSummary[]> {
    return this.messages.conversations(viewer, {
      first: page.first,
      before: parseOptionalId(page.before, 'before'),
      userId: parseOptionalId(userId, 'userId'),
    });
  }

  @Query(() => Int, { description: 'How many people sent you messages you have not seen.' })
  unseenConversationCount(@CurrentViewer() viewer: Viewer): Promise<number> {
    return this.messages.unseenConversationCount(viewer);
  }

  @Query(() => [Message], { description: 'Admin only: every message, newest first.' })
  allMessages(@CurrentViewer() viewer: Viewer, @Args() page: PageArgs): Promise<Message[]> {
    return this.messages.all(viewer, { first: page.first, before: parseOptionalId(page.before, 'before') });
  }

  @Mutation(() => Message, {
    description:
      'Sends a direct message. Throttled per sender and per sender and receiver (TOO_MANY_REQUESTS, `retryAfter`).',
  })
  sendMessage(
    @CurrentViewer() viewer: Viewer,
    @Args() { receiverId, detail }: SendMessageArgs,
  ): Promise<Message> {
    return this.messages.send(viewer, parseId(receiverId, 'receiverId'), detail);
  }

  @Mutation(() => Message)
  updateMessage(
    @CurrentViewer() viewer: Viewer,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateMessageInput,
  ): Promise<Message> {
    return this.messages.update(viewer, parseId(id, 'id'), {
      ...input,
      senderId: parseOptionalId(input.senderId, 'input.senderId'),
      receiverId: parseOptionalId(input.receiverId, 'input.receiverId'),
    });
  }

  @Mutation(() => Int, {
    description: 'Marks every unseen message from one user to you as seen; returns how many.',
  })
  markConversationSeen(
    @CurrentViewer() viewer: Viewer,
    @Arg('otherUserId', () => ID) otherUserId: string,
  ): Promise<number> {
    return this.messages.markConversationSeen(viewer, parseId(otherUserId, 'otherUserId'));
  }

  @FieldResolver(() => ConversationSummary, {
    name: 'conversation',
    nullable: true,
    description:
      'The chat list entry this message is now the last of, as your conversations query shows it (yours with the ' +
      "other party; an admin who is neither: the sender's). Select it on sendMessage and messageCreated to keep a " +
      'cached chat list current.',
  })
  conversationEntry(
    @Root() message: Message,
    @CurrentViewer() viewer: Viewer,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<ConversationSummary | null> {
    const mine = viewer.user.id === message.receiverId;
    return loaders.conversation.load(
      mine
        ? conversationId(message.receiverId, message.senderId)
        : conversationId(message.senderId, message.receiverId),
    );
  }

  // A user the message was read with is answered at once: a page's answer completes without waiting on a loader.
  @FieldResolver(() => User)
  sender(@Root() message: Message, @Ctx() { loaders }: GraphQLContext): User | Promise<User | null> {
    return message.senderUser ?? loaders.user.load(message.senderId);
  }

  @FieldResolver(() => User)
  receiver(@Root() message: Message, @Ctx() { loaders }: GraphQLContext): User | Promise<User | null> {
    return message.receiverUser ?? loaders.user.load(message.receiverId);
  }
}

@Resolver(() => ConversationSummary)
export class ConversationSummaryResolver {
  @FieldResolver(() => ID, {
    description:
      'The pair, `<list owner id>:<other user id>`: the same for this entry wherever it is returned.',
  })
  id(@Root() summary: ConversationSummary): string {
    return conversationId(summary.userId, summary.otherUserId);
  }

  @FieldResolver(() => User)
  otherUser(@Root() summary: ConversationSummary, @Ctx() { loaders }: GraphQLContext): Promise<User | null> {
    return loaders.user.load(summary.otherUserId);
  }
}

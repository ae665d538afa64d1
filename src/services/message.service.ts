import { type DataSource, In } from 'typeorm';
import { hydrate, prefixedColumns } from '../database/hydrate';
import { Message, MessageStatus, User } from '../entities';
import { badInput, forbidden, notFound } from '../errors';
import { adminOnlyFieldsSent, definedOnly } from './changes';
import type { Throttles } from '../http/throttles';
import { updateMessagesInBulk } from '../subscribers/message.subscriber';
import { assertPusherSize, outboxCommitted } from '../subscribers/outbox-staging';
import { legacyPayloadAroundId } from '../events/legacy-model';
import { RealtimeEventName } from '../events/realtime-event';
import { foreignKeyViolation } from './db-errors';
import { type BeforePage, beforeConditions, DEFAULT_PAGE_SIZE } from './paging';
import { countAttempt } from './attempts';
import { isAdmin, requireAdmin, targetUserId, type Viewer } from './viewer';

export interface MessageChanges {
  readonly detail?: string;
  readonly status?: MessageStatus;
  readonly senderId?: number;
  readonly receiverId?: number;
}

/** One entry of a user's latest chats. */
export interface ConversationSummary {
  /** Whose chat list this entry is in. */
  readonly userId: number;
  readonly otherUserId: number;
  readonly lastMessage: Message;
  readonly unseenCount: number;
}

/** One entry of the legacy latest chats: the other user and when the chat last changed. */
export interface RecentChat {
  readonly otherUser: User;
  /** The newest `updated_at` of the chat's messages. */
  readonly updatedAt: Date;
}

/** Hears of each message sent (typing indicators end when the typist sends). */
export type MessageSentListener = (senderId: number, receiverId: number) => Promise<void>;

/** The largest id of an int column: the longest the id in a payload can be. */
const MAX_INT_ID = 2_147_483_647;

/** Direct messages: the legacy chat rules. */
export class MessageService {
  private readonly sentListeners: MessageSentListener[] = [];

  private participantSelect: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly throttles: Throttles,
  ) {}

  /** Registers what must happen after every message sent, whichever API sent it. */
  onSent(listener: MessageSentListener): void {
    this.sentListeners.push(listener);
  }

  /**
   * Sends a direct message. Throttled per sender and per sender and receiver: anyone may message anyone, so a
   * stranger must not be able to bury someone's inbox.
   */
  async send(viewer: Viewer, receiverId: number, detail: string): Promise<Message> {
    await countAttempt(this.throttles, 'sendMessagePerUser', String(viewer.user.id));
    await countAttempt(this.throttles, 'sendMessagePerPair', `${viewer.user.id}:${receiverId}`);
    if (receiverId === viewer.user.id) throw badInput('receiverId', 'you cannot send a message to yourself.');
    const message = await this.insert(viewer, receiverId, detail);
    for (const listener of this.sentListeners) await listener(message.senderId, message.receiverId);
    return message;
  }

  /**
   * The message, its event and its receiver's counts in one statement (`send_message`, migration LeanSend): the
   * hot write of the product, so one round trip where a transaction takes four. Its time is this server's, to the
   * second, as the column keeps it (Laravel's timestamps were the application's clock too), so the payload is
   * built here, byte for byte as the subscribers build it.
   */
  private async insert(viewer: Viewer, receiverId: number, detail: string): Promise<Message> {
    const metadata = this.dataSource.getMetadata(Message);
    const sentAt = new Date(Math.round(Date.now() / 1000) * 1000);
    const message = this.dataSource.manager.create(Message, {
      id: 0,
      detail,
      senderId: viewer.user.id,
      receiverId,
      status: MessageStatus.UNSEEN,
      createdAt: sentAt,
      updatedAt: sentAt,
    });
    const { head, tail } = legacyPayloadAroundId(metadata, message);
    // Checked with the longest id an int column holds, as the subscribers check the payload they stage.
    assertPusherSize(metadata, message, `${head}${MAX_INT_ID}${tail}`);
    let rows: Record<string, unknown>[];
    try {
      rows = (await this.dataSource.query('SELECT * FROM send_message($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        detail,
        MessageStatus.UNSEEN,
        viewer.user.id,
        receiverId,
        sentAt,
        head,
        tail,
        RealtimeEventName.MESSAGE_CREATED,
        RealtimeEventName.UNREAD_COUNTS_UPDATED,
      ])) as Record<string, unknown>[];
    } catch (error) {
      // The foreign key answers whether the receiver exists, in the insert itself rather than a query before it.
      if (foreignKeyViolation(error, 'receiver_id')) throw notFound('User', receiverId);
      throw error;
    }
    outboxCommitted(this.dataSource);
    return hydrate<Message>(metadata, rows[0]);
  }

  async get(viewer: Viewer, id: number): Promise<Message> {
    const message = await this.dataSource.getRepository(Message).findOneBy({ id });
    if (!message) throw notFound('Message', id);
    assertParticipant(viewer, message);
    return message;
  }

  /** Sender and receiver may change only the status; an admin may change every field. */
  async update(viewer: Viewer, id: number, changes: MessageChanges): Promise<Message> {
    if (!isAdmin(viewer)) {
      const refused = adminOnlyFieldsSent(changes, ['status']);
      if (refused.length > 0) throw forbidden(`Only an admin may change ${refused.join(', ')} of a message.`);
    }
    return this.dataSource.transaction(async (manager) => {
      // Locked, so concurrent updates take turns and none writes back a value it did not change.
      const message = await manager.findOne(Message, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!message) throw notFound('Message', id);
      assertParticipant(viewer, message);
      for (const userId of [changes.senderId, changes.receiverId]) {
        if (userId !== undefined && !(await manager.existsBy(User, { id: userId })))
          throw notFound('User', userId);
      }
      Object.assign(message, definedOnly(changes));
      // The rule sendMessage keeps holds for an admin's move of a message too.
      if (message.senderId === message.receiverId) {
        const field = changes.receiverId !== undefined ? 'receiverId' : 'senderId';
        throw badInput(field, 'a message cannot be from and to the same user.');
      }
      return manager.save(message);
    });
  }

  /**
   * The messages between a user and another, newest first, a page at a time before a message id. With `withUsers`,
   * each message comes with its sender and receiver (`senderUser`, `receiverUser`) from the same statement: the
   * GraphQL page shows them, and a second query for them would hold every page's half-built answer across a round
   * trip.
   */
  async conversation(
    viewer: Viewer,
    options: BeforePage & { otherUserId: number; userId?: number; withUsers?: boolean },
  ): Promise<Message[]> {
    const userId = targetUserId(viewer, options.userId);
    const other = options.otherUserId;
    const page = `SELECT * FROM messages
        WHERE ((sender_id = $1 AND receiver_id = $2) OR (sender_id = $2 AND receiver_id = $1))
          AND ($3::int IS NULL OR message_id < $3::int)
          AND ($5::timestamptz IS NULL OR created_at < $5::timestamptz)
        ORDER BY message_id DESC
        LIMIT $4`;
    // The page every chat screen opens with: SQL run directly and rows hydrated without a query builder.
    const rows = (await this.dataSource.query(
      options.withUsers
        ? `SELECT m.*, ${this.participantColumns()}
             FROM (${page}) m
             LEFT JOIN users s ON s.user_id = m.sender_id
             LEFT JOIN users r ON r.user_id = m.receiver_id
            ORDER BY m.message_id DESC`
        : page,
      [
        userId,
        other,
        options.before ?? null,
        options.first ?? DEFAULT_PAGE_SIZE,
        options.createdBefore ?? null,
      ],
    )) as Record<string, unknown>[];
    const metadata = this.dataSource.getMetadata(Message);
    const messages = rows.map((row) => hydrate<Message>(metadata, row));
    if (options.withUsers) {
      const userMetadata = this.dataSource.getMetadata(User);
      // One instance per user of the page, as a per-request loader would hand out.
      const users = new Map<unknown, User>();
      const user = (row: Record<string, unknown>, prefix: string): User | undefined => {
        const id = row[`${prefix}user_id`];
        if (id === null || id === undefined) return undefined;
        let known = users.get(id);
        if (known === undefined) users.set(id, (known = hydrate<User>(userMetadata, row, prefix)));
        return known;
      };
      rows.forEach((row, i) => {
        messages[i].senderUser = user(row, 's_');
        messages[i].receiverUser = user(row, 'r_');
      });
    }
    return messages;
  }

  // The password hash never leaves the database for a page of messages.
  private participantColumns(): string {
    const metadata = this.dataSource.getMetadata(User);
    return (this.participantSelect ??= `${prefixedColumns(metadata, 's', 's_', ['password'])}, ${prefixedColumns(metadata, 'r', 'r_', ['password'])}`);
  }

  /** How many messages a user has received, optionally only from one sender and with one status. */
  count(
    viewer: Viewer,
    options: { otherUserId?: number; status?: MessageStatus; userId?: number },
  ): Promise<number> {
    const receiverId = targetUserId(viewer, options.userId);
    return this.dataSource.getRepository(Message).countBy({
      receiverId,
      ...(options.otherUserId === undefined ? {} : { senderId: options.otherUserId }),
      ...(options.status === undefined ? {} : { status: options.status }),
    });
  }

  /**
   * A user's latest chats, newest first: one query finds the page of partners, one loads their last messages
   * and one counts the unseen messages from each, whatever the page size.
   */
  async conversations(
    viewer: Viewer,
    options: BeforePage & { userId?: number },
  ): Promise<ConversationSummary[]> {
    const userId = targetUserId(viewer, options.userId);
    const rows: { other_id: number; last_id: number }[] = await this.dataSource.query(
      `SELECT other_id, max(message_id) AS last_id
         FROM (SELECT receiver_id AS other_id, message_id FROM messages WHERE sender_id = $1
               UNION ALL
               SELECT sender_id AS other_id, message_id FROM messages WHERE receiver_id = $1) AS mine
        GROUP BY other_id
       HAVING $2::int IS NULL OR max(message_id) < $2::int
        ORDER BY last_id DESC
        LIMIT $3`,
      [userId, options.before ?? null, options.first ?? DEFAULT_PAGE_SIZE],
    );
    if (rows.length === 0) return [];
    const otherIds = rows.map((row) => row.other_id);
    const [messages, unseen] = await Promise.all([
      this.dataSource.getRepository(Message).findBy({ id: In(rows.map((row) => row.last_id)) }),
      this.dataSource
        .getRepository(Message)
        .createQueryBuilder('m')
        .select('m.senderId', 'sender_id')
        .addSelect('count(*)::int', 'unseen')
        .where('m.receiverId = :userId', { userId })
        .andWhere('m.status = :status', { status: MessageStatus.UNSEEN })
        .andWhere('m.senderId IN (:...otherIds)', { otherIds })
        .groupBy('m.senderId')
        .getRawMany<{ sender_id: number; unseen: number }>(),
    ]);
    const messageById = new Map(messages.map((m) => [m.id, m]));
    const unseenBySender = new Map(unseen.map((u) => [u.sender_id, u.unseen]));
    return rows.map((row) => ({
      userId,
      otherUserId: row.other_id,
      lastMessage: messageById.get(row.last_id) as Message,
      unseenCount: unseenBySender.get(row.other_id) ?? 0,
    }));
  }

  /**
   * The chat list entries of (user, other user) pairs, as `conversations` shows them, in the order asked; null for a
   * pair with no message. Two queries, however many pairs.
   */
  async summaries(
    pairs: readonly { readonly userId: number; readonly otherUserId: number }[],
  ): Promise<(ConversationSummary | null)[]> {
    const rows: { last_id: number | null; unseen: number }[] = await this.dataSource.query(
      `SELECT (SELECT max(m.message_id) FROM messages m
                WHERE (m.sender_id = p.user_id AND m.receiver_id = p.other_id)
                   OR (m.sender_id = p.other_id AND m.receiver_id = p.user_id)) AS last_id,
              (SELECT count(*)::int FROM messages m
                WHERE m.sender_id = p.other_id AND m.receiver_id = p.user_id AND m.status = 'unseen') AS unseen
         FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS p(user_id, other_id, n)
        ORDER BY p.n`,
      [pairs.map((pair) => pair.userId), pairs.map((pair) => pair.otherUserId)],
    );
    const lastIds = rows.flatMap((row) => (row.last_id === null ? [] : [row.last_id]));
    const messages =
      lastIds.length === 0 ? [] : await this.dataSource.getRepository(Message).findBy({ id: In(lastIds) });
    const messageById = new Map(messages.map((m) => [m.id, m]));
    return rows.map((row, i) => {
      const lastMessage = row.last_id === null ? undefined : messageById.get(row.last_id);
      return lastMessage === undefined ? null : { ...pairs[i], lastMessage, unseenCount: row.unseen };
    });
  }

  /**
   * The people a user has chatted with, the chat whose messages changed last first (the legacy `lastest`, which
   * sorts by the newest `updated_at`, so a message marked seen moves its chat up), before a time.
   */
  async recentChats(
    viewer: Viewer,
    options: { first?: number; updatedBefore?: Date; userId?: number },
  ): Promise<RecentChat[]> {
    const userId = targetUserId(viewer, options.userId);
    const rows: { other_id: number; updated_at: Date }[] = await this.dataSource.query(
      `SELECT other_id, max(updated_at) AS updated_at
         FROM (SELECT receiver_id AS other_id, updated_at FROM messages WHERE sender_id = $1
               UNION ALL
               SELECT sender_id AS other_id, updated_at FROM messages WHERE receiver_id = $1) AS mine
        GROUP BY other_id
       HAVING $2::timestamptz IS NULL OR max(updated_at) < $2::timestamptz
        ORDER BY max(updated_at) DESC, other_id DESC
        LIMIT $3`,
      [userId, options.updatedBefore ?? null, options.first ?? DEFAULT_PAGE_SIZE],
    );
    if (rows.length === 0) return [];
    const users = await this.dataSource
      .getRepository(User)
      .findBy({ id: In(rows.map((row) => row.other_id)) });
    const byId = new Map(users.map((user) => [user.id, user]));
    return rows.map((row) => ({ otherUser: byId.get(row.other_id) as User, updatedAt: row.updated_at }));
  }

  /** How many people have sent the viewer messages the viewer has not seen. */
  async unseenConversationCount(viewer: Viewer): Promise<number> {
    const row = await this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .select('count(DISTINCT m.senderId)::int', 'count')
      .where('m.receiverId = :userId', { userId: viewer.user.id })
      .andWhere('m.status = :status', { status: MessageStatus.UNSEEN })
      .getRawOne<{ count: number }>();
    return row?.count ?? 0;
  }

  all(viewer: Viewer, page: BeforePage): Promise<Message[]> {
    requireAdmin(viewer);
    return this.dataSource.getRepository(Message).find({
      where: beforeConditions(page),
      order: { id: 'DESC' },
      take: page.first ?? DEFAULT_PAGE_SIZE,
    });
  }

  /**
   * Marks every unseen message from one user to the viewer as seen, and writes each one's MessageUpdated (as save()
   * would stage it), in one statement whatever their number; returns how many changed.
   */
  async markConversationSeen(viewer: Viewer, otherUserId: number): Promise<number> {
    return this.dataSource.transaction((manager) =>
      updateMessagesInBulk(
        manager,
        // Locked in id order, as a concurrent mark of the same conversation locks them, so neither waits crosswise;
        // then changed by their keys, so the update reads the rows it changes and never the whole table.
        `target AS (
           SELECT message_id FROM messages
            WHERE sender_id = $1 AND receiver_id = $2 AND status = 'unseen'
            ORDER BY message_id
              FOR UPDATE),
         changed AS (
           UPDATE messages m SET status = 'seen', updated_at = CURRENT_TIMESTAMP
            WHERE m.message_id = ANY (ARRAY(SELECT message_id FROM target))
           RETURNING m.*)`,
        [otherUserId, viewer.user.id],
      ),
    );
  }
}

function assertParticipant(viewer: Viewer, message: Message): void {
  const mine = message.senderId === viewer.user.id || message.receiverId === viewer.user.id;
  if (!mine && !isAdmin(viewer)) throw forbidden('You may only access messages you sent or received.');
}

import { MessageStatus } from '../../entities';
import { laravelTimestamp } from '../../events/legacy-model';
import { SendMessageArgs } from '../../graphql/args/send-message.args';
import { UpdateMessageInput } from '../../graphql/inputs/update-message.input';
import type { LegacyDeps } from './legacy-deps';
import {
  cursor,
  dateTime,
  id,
  oneOf,
  optionalId,
  pageSize,
  requiredOneOf,
  requiredText,
  text,
  validated,
} from './legacy-input';
import { type LegacyField, type LegacyRoute, ok } from './legacy-route';
import { messageRow, userRow } from './legacy-rows';
import { INTEGER, listOf, MESSAGE_ROW, okSchema } from './schemas';

const STATUSES = Object.values(MessageStatus);
const COUNTED = [MessageStatus.UNSEEN, MessageStatus.SEEN] as const;

const PAGE: LegacyField[] = [
  {
    name: 'before',
    description: 'An id: only older ids; otherwise a date-time: only rows created before it.',
  },
  { name: 'get', type: 'integer', description: 'How many, newest first (default 1, at most 100).' },
];
const USER_ID: LegacyField = {
  name: 'user_id',
  type: 'integer',
  description: "Admin only: another user's data instead of yours.",
};
const LATEST_CHAT = {
  type: 'object',
  properties: {
    other_id: INTEGER,
    name: { type: 'string' },
    email: { type: ['string', 'null'], description: 'null unless you are an admin.' },
    updated_at: { type: 'string' },
  },
  additionalProperties: false,
};

/** `MessageController`: direct messages, through the same MessageService as GraphQL (and so the same events). */
export function chatRoutes({ services }: LegacyDeps): LegacyRoute[] {
  const { messages, dataSource } = services;
  const rows = (list: Parameters<typeof messageRow>[1][]) => list.map((m) => messageRow(dataSource, m));
  return [
    {
      method: 'get',
      path: '/chat',
      summary: 'Admin only: every message, newest first.',
      auth: 'required',
      fields: PAGE,
      failure: 'Tìm kiếm tất cả tin nhắn không thành công',
      errorDetail: true,
      answers: okSchema('data', listOf(MESSAGE_ROW)),
      async handle({ viewer, input }) {
        const page = await messages.all(viewer, cursor(input));
        return ok('Tìm kiếm tất cả tin nhắn thành công', { data: rows(page) });
      },
    },
    {
      method: 'post',
      path: '/chat/create',
      summary: 'Sends a message; the receiver gets Pusher MessageCreated and GraphQL messageCreated.',
      auth: 'required',
      fields: [
        { name: 'receiver_id', type: 'integer', required: true, description: 'Who receives it.' },
        { name: 'detail', required: true, description: '1 to 2000 characters.' },
      ],
      failure: 'Tạo tin nhắn không thành công',
      errorDetail: true,
      answers: okSchema('data', MESSAGE_ROW),
      async handle({ viewer, input }) {
        const receiverId = id(input, 'receiver_id');
        const { detail } = await validated(SendMessageArgs, { detail: requiredText(input, 'detail') });
        const message = await messages.send(viewer, receiverId, detail);
        return ok('Tạo tin nhắn thành công', { data: messageRow(dataSource, message) });
      },
    },
    {
      method: 'post',
      path: '/chat/update',
      summary: 'Changes a message: its sender and receiver only the status, an admin every field.',
      auth: 'required',
      fields: [
        { name: 'message_id', type: 'integer', required: true, description: 'The message.' },
        { name: 'status', description: 'hidden, unseen or seen.', enum: STATUSES },
        { name: 'detail', description: 'Admin only.' },
        { name: 'sender_id', type: 'integer', description: 'Admin only.' },
        { name: 'receiver_id', type: 'integer', description: 'Admin only.' },
      ],
      failure: 'Chỉnh sửa tin nhắn không thành công',
      errorDetail: true,
      answers: okSchema('data', MESSAGE_ROW),
      async handle({ viewer, input }) {
        const messageId = id(input, 'message_id');
        const changes = await validated(UpdateMessageInput, {
          status: oneOf(input, 'status', STATUSES),
          detail: text(input, 'detail'),
        });
        const message = await messages.update(viewer, messageId, {
          status: changes.status,
          detail: changes.detail,
          senderId: optionalId(input, 'sender_id'),
          receiverId: optionalId(input, 'receiver_id'),
        });
        return ok('Chỉnh sửa tin nhắn thành công', { data: messageRow(dataSource, message) });
      },
    },
    {
      method: 'get',
      path: '/chat/message',
      summary: 'One message you sent or received (an admin: any).',
      auth: 'required',
      fields: [{ name: 'message_id', type: 'integer', required: true, description: 'The message.' }],
      failure: 'Tìm kiếm tin nhắn không thành công',
      errorDetail: true,
      answers: okSchema('data', MESSAGE_ROW),
      async handle({ viewer, input }) {
        const message = await messages.get(viewer, id(input, 'message_id'));
        return ok('Tìm kiếm tin nhắn thành công', { data: messageRow(dataSource, message) });
      },
    },
    {
      method: 'get',
      path: '/chat/between',
      summary: 'The messages between you and other_id, newest first.',
      auth: 'required',
      fields: [
        { name: 'other_id', type: 'integer', required: true, description: 'The other user.' },
        USER_ID,
        ...PAGE,
      ],
      failure: 'Tìm kiếm cuộc trò chuyện không thành công',
      errorDetail: true,
      answers: okSchema('data', listOf(MESSAGE_ROW)),
      async handle({ viewer, input }) {
        const page = await messages.conversation(viewer, {
          otherUserId: id(input, 'other_id'),
          userId: optionalId(input, 'user_id'),
          ...cursor(input),
        });
        return ok('Tìm kiếm cuộc trò chuyện thành công', { data: rows(page) });
      },
    },
    {
      method: 'get',
      path: '/chat/between/count',
      summary: 'How many messages from other_id to you have this status.',
      auth: 'required',
      fields: [
        { name: 'other_id', type: 'integer', required: true, description: 'The sender.' },
        { name: 'status', required: true, description: 'unseen or seen.', enum: COUNTED },
        USER_ID,
      ],
      failure: 'Đã xảy ra lỗi khi đếm số lượng tin nhắn',
      errorDetail: true,
      answers: okSchema('data', INTEGER),
      async handle({ viewer, input }) {
        const count = await messages.count(viewer, {
          otherUserId: id(input, 'other_id'),
          status: requiredOneOf(input, 'status', COUNTED),
          userId: optionalId(input, 'user_id'),
        });
        return ok('Đếm số lượng tin nhắn thành công', { data: count });
      },
    },
    {
      method: 'get',
      path: '/chat/lastest',
      summary: 'The people you chat with, the chat changed last first.',
      auth: 'required',
      fields: [
        { name: 'before', description: 'A date-time: only chats whose last change is older.' },
        { name: 'get', type: 'integer', description: 'How many (default 1, at most 100).' },
        USER_ID,
      ],
      failure: 'Đã xảy ra lỗi khi tìm kiếm những người dùng nhắn tin gần nhất',
      errorDetail: true,
      answers: okSchema('data', listOf(LATEST_CHAT)),
      async handle({ viewer, input }) {
        const before = text(input, 'before');
        const chats = await messages.recentChats(viewer, {
          first: pageSize(input),
          updatedBefore: before === undefined ? undefined : dateTime(before, 'before'),
          userId: optionalId(input, 'user_id'),
        });
        const data = chats.map(({ otherUser, updatedAt }) => {
          const row = userRow(dataSource, otherUser, viewer);
          return {
            other_id: otherUser.id,
            name: row.name,
            email: row.email,
            updated_at: laravelTimestamp(updatedAt),
          };
        });
        return ok('Tìm kiếm những người dùng nhắn tin gần nhất thành công', { data });
      },
    },
    {
      method: 'get',
      path: '/chat/count/unseen',
      summary: 'How many people sent you messages you have not seen.',
      auth: 'required',
      fields: [],
      failure: 'Đã xảy ra lỗi khi đếm số người dùng UNSEEN',
      errorDetail: true,
      answers: okSchema('data', INTEGER),
      async handle({ viewer }) {
        return ok('Đếm số người dùng UNSEEN thành công', {
          data: await messages.unseenConversationCount(viewer),
        });
      },
    },
  ];
}

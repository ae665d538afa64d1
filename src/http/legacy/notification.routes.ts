import { NotificationStatus } from '../../entities';
import { CreateNotificationInput } from '../../graphql/inputs/create-notification.input';
import { UpdateNotificationInput } from '../../graphql/inputs/update-notification.input';
import type { LegacyDeps } from './legacy-deps';
import { cursor, id, oneOf, optionalId, requiredOneOf, requiredText, text, validated } from './legacy-input';
import { type LegacyField, type LegacyRoute, ok } from './legacy-route';
import { notificationRow } from './legacy-rows';
import { INTEGER, listOf, NOTIFICATION_ROW, okSchema } from './schemas';

const STATUSES = Object.values(NotificationStatus);
const LISTED = [NotificationStatus.UNSEEN, NotificationStatus.SEEN] as const;

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
  description: "Admin only: another user's notifications instead of yours.",
};
const STATUS: LegacyField = { name: 'status', required: true, description: 'unseen or seen.', enum: LISTED };

/** `NotificationController`: admins send, receivers read and mark, through the NotificationService GraphQL uses. */
export function notificationRoutes({ services }: LegacyDeps): LegacyRoute[] {
  const { notifications, dataSource } = services;
  const rows = (list: Parameters<typeof notificationRow>[1][]) =>
    list.map((n) => notificationRow(dataSource, n));
  return [
    {
      method: 'get',
      path: '/notification',
      summary: 'Admin only: every notification, newest first.',
      auth: 'required',
      fields: PAGE,
      failure: 'Tìm kiếm tất cả thông báo trên hệ thống không thành công',
      errorDetail: true,
      answers: okSchema('data', listOf(NOTIFICATION_ROW)),
      async handle({ viewer, input }) {
        const page = await notifications.all(viewer, cursor(input));
        return ok('Tìm kiếm tất cả thông báo trên hệ thông thành công', { data: rows(page) });
      },
    },
    {
      method: 'post',
      path: '/notification/create',
      summary: 'Admin only: a notification; its receiver gets NotificationCreated and notificationCreated.',
      auth: 'required',
      fields: [
        { name: 'title', required: true, description: '1 to 255 characters.' },
        { name: 'detail', required: true, description: '1 to 2000 characters.' },
        { name: 'receiver_id', type: 'integer', required: true, description: 'Who receives it.' },
      ],
      failure: 'Tạo thông báo không thành công',
      errorDetail: true,
      answers: okSchema('data', NOTIFICATION_ROW),
      async handle({ viewer, input }) {
        const receiverId = id(input, 'receiver_id');
        const data = await validated(CreateNotificationInput, {
          title: requiredText(input, 'title'),
          detail: requiredText(input, 'detail'),
        });
        const [notification] = await notifications.create(viewer, {
          title: data.title,
          detail: data.detail,
          receiverId,
        });
        return ok('Tạo thông báo thành công', { data: notificationRow(dataSource, notification) });
      },
    },
    {
      method: 'post',
      path: '/notification/update',
      summary: 'Changes a notification: its receiver only the status, an admin every field.',
      auth: 'required',
      fields: [
        { name: 'notification_id', type: 'integer', required: true, description: 'The notification.' },
        { name: 'status', description: 'hidden, unseen or seen.', enum: STATUSES },
        { name: 'title', description: 'Admin only.' },
        { name: 'detail', description: 'Admin only.' },
        { name: 'receiver_id', type: 'integer', description: 'Admin only.' },
      ],
      failure: 'Cập nhật thông báo không thành công',
      errorDetail: true,
      answers: okSchema('data', NOTIFICATION_ROW),
      async handle({ viewer, input }) {
        const notificationId = id(input, 'notification_id');
        const changes = await validated(UpdateNotificationInput, {
          status: oneOf(input, 'status', STATUSES),
          title: text(input, 'title'),
          detail: text(input, 'detail'),
        });
        const notification = await notifications.update(viewer, notificationId, {
          status: changes.status,
          title: changes.title,
          detail: changes.detail,
          receiverId: optionalId(input, 'receiver_id'),
        });
        return ok('Cập nhật thông báo thành công', { data: notificationRow(dataSource, notification) });
      },
    },
    {
      method: 'get',
      path: '/notification/notification',
      summary: 'One of your notifications (an admin: any), under the key `notification`.',
      auth: 'required',
      fields: [
        { name: 'notification_id', type: 'integer', required: true, description: 'The notification.' },
      ],
      failure: 'Đã xảy ra lỗi khi tìm kiếm',
      errorDetail: true,
      answers: okSchema('notification', NOTIFICATION_ROW),
      async handle({ viewer, input }) {
        const notification = await notifications.get(viewer, id(input, 'notification_id'));
        return ok('Tìm kiếm thông báo thành công', {
          notification: notificationRow(dataSource, notification),
        });
      },
    },
    {
      method: 'get',
      path: '/notification/user',
      summary: 'Your notifications, newest first.',
      auth: 'required',
      fields: [USER_ID, ...PAGE],
      failure: 'Đã xảy ra lỗi khi tìm kiếm thông báo của người dùng',
      errorDetail: true,
      answers: okSchema('data', listOf(NOTIFICATION_ROW)),
      async handle({ viewer, input }) {
        const page = await notifications.list(viewer, {
          userId: optionalId(input, 'user_id'),
          ...cursor(input),
        });
        return ok('Tìm kiếm thông báo của người dùng thành công', { data: rows(page) });
      },
    },
    {
      method: 'get',
      path: '/notification/user/status',
      summary: 'Your notifications of one status, newest first.',
      auth: 'required',
      fields: [STATUS, USER_ID, ...PAGE],
      failure: 'Đã xảy ra lỗi khi tìm kiếm thông báo của người dùng',
      errorDetail: true,
      answers: okSchema('data', listOf(NOTIFICATION_ROW)),
      async handle({ viewer, input }) {
        const page = await notifications.list(viewer, {
          status: requiredOneOf(input, 'status', LISTED),
          userId: optionalId(input, 'user_id'),
          ...cursor(input),
        });
        return ok('Tìm kiếm thông báo của người dùng thành công', { data: rows(page) });
      },
    },
    {
      method: 'get',
      path: '/notification/user/status/count',
      summary: 'How many notifications of one status you have.',
      auth: 'required',
      fields: [STATUS, USER_ID],
      failure: 'Đã xảy ra lỗi khi đếm số lượng thông báo',
      errorDetail: true,
      answers: okSchema('data', INTEGER),
      async handle({ viewer, input }) {
        const count = await notifications.count(viewer, {
          status: requiredOneOf(input, 'status', LISTED),
          userId: optionalId(input, 'user_id'),
        });
        return ok('Đếm số lượng thông báo thành công', { data: count });
      },
    },
  ];
}

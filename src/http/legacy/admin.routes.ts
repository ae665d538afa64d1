import { UserStatus } from '../../entities';
import type { LegacyDeps } from './legacy-deps';
import { requiredOneOf, text } from './legacy-input';
import { type LegacyRoute, ok } from './legacy-route';
import { userRow } from './legacy-rows';
import { lengthAwarePaginator } from './paginator';
import { okSchema, PAGINATOR } from './schemas';
import { parseId } from '../../graphql/ids';

const PER_PAGE = 20;
const STATUSES = [UserStatus.BANNED, UserStatus.ACTIVE] as const;

/** Laravel read any page number it could not use as page 1. */
function pageNumber(value: string | undefined): number {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1;
}

/** `AdminController`: the user list and bans, through the UserService GraphQL uses. */
export function adminRoutes({ services }: LegacyDeps): LegacyRoute[] {
  const { users, dataSource } = services;
  return [
    {
      method: 'get',
      path: '/admin/user',
      summary: 'Admin only: every user, oldest first, 20 a page, optionally matching searchContent.',
      auth: 'required',
      fields: [
        { name: 'searchContent', description: 'Text in the name, email or phone number.' },
        { name: 'page', type: 'integer', description: 'The page, from 1.' },
      ],
      failure: 'Bạn không phải là admin',
      errorDetail: true,
      answers: {
        type: 'object',
        required: ['success', 'users'],
        properties: { success: { const: true }, users: PAGINATOR },
      },
      async handle({ viewer, input, url }) {
        const currentPage = pageNumber(text(input, 'page'));
        const { users: found, total } = await users.listPage(viewer, {
          search: text(input, 'searchContent'),
          page: currentPage,
          perPage: PER_PAGE,
        });
        const data = found.map((user) => userRow(dataSource, user, viewer));
        return {
          body: {
            success: true,
            users: lengthAwarePaginator({ data, total, perPage: PER_PAGE, currentPage, path: url }),
          },
        };
      },
    },
    {
      method: 'post',
      path: '/admin/user/:id',
      summary:
        "Admin only: bans (status=banned) or unbans (status=active) a user; a ban ends the user's sessions.",
      auth: 'required',
      fields: [{ name: 'status', required: true, description: 'banned or active.', enum: STATUSES }],
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: okSchema(),
      async handle({ viewer, input, params }) {
        const status = requiredOneOf(input, 'status', STATUSES);
        await users.setStatus(viewer, parseId(params.id, 'id'), status);
        return ok(status === UserStatus.BANNED ? 'Đã chặn người dùng' : 'Đã gỡ chặn người dùng');
      },
    },
  ];
}

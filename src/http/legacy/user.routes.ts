import { UserRole } from '../../entities';
import { parseId } from '../../graphql/ids';
import type { LegacyDeps } from './legacy-deps';
import type { LegacyRoute } from './legacy-route';
import { userRow } from './legacy-rows';
import { listOf, USER_ROW } from './schemas';

/** `AdminController@showDetailOfAUser`: a guest route, reading a bearer token when one is sent. */
export function userRoutes({ services }: LegacyDeps): LegacyRoute[] {
  const { users, dataSource } = services;
  return [
    {
      method: 'get',
      path: '/user/:id',
      summary:
        "A user's row: [row] for a job seeker or employer, the row for an admin. Contact data only for the user and admins.",
      auth: 'optional',
      fields: [],
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: {
        type: 'object',
        required: ['success', 'data'],
        properties: { success: { const: true }, data: { oneOf: [listOf(USER_ROW), USER_ROW] } },
      },
      async handle({ viewer, params }) {
        const user = await users.get(parseId(params.id, 'id'));
        const row = userRow(dataSource, user, viewer);
        // Laravel answered a job seeker or employer with the rows of a joined query, an admin with the model.
        return { body: { success: true, data: user.role === UserRole.ADMIN ? row : [row] } };
      },
    },
  ];
}

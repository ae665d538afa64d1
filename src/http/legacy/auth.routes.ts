import { AppError } from '../../errors';
import { UserRole } from '../../entities';
import { ChangePasswordArgs } from '../../graphql/args/change-password.args';
import { SearchUsersArgs } from '../../graphql/args/search-users.args';
import { RegisterInput } from '../../graphql/inputs/register.input';
import { UpdateProfileInput } from '../../graphql/inputs/update-profile.input';
import type { AuthResult } from '../../services/auth.service';
import { SEARCH_LIMIT } from '../../services/user.service';
import type { LegacyDeps } from './legacy-deps';
import { requiredOneOf, requiredText, text, validated } from './legacy-input';
import { type LegacyAnswer, type LegacyRoute, ok, refused } from './legacy-route';
import { userRow } from './legacy-rows';
import { listOf, okSchema, TOKEN, USER_ROW } from './schemas';

const ROLES = [UserRole.JOBSEEKER, UserRole.EMPLOYER, UserRole.ADMIN] as const;
const BAD_LOGIN = 'Email hoặc mật khẩu không đúng';
const BANNED = 'Tài khoản đã bị khóa';
const PROFILE_FIELDS = ['name', 'email', 'phonenumber', 'address'] as const;

/** The conflicts register answered in its own words; any other refusal is named by the service's text. */
function registerRefusal(error: AppError): string {
  const field = error.extensions.field;
  if (error.code === 'CONFLICT' && field === 'email') return 'Email đã tồn tại';
  if (error.code === 'CONFLICT' && field === 'phonenumber') return 'Số điện thoại đã được sử dụng';
  return error.message;
}

/** Laravel's validation failure, which the login's `$validator->validated()` threw for a missing field. */
function invalid(field: string): LegacyAnswer {
  return {
    status: 422,
    body: {
      message: 'The given data was invalid.',
      errors: { [field]: [`The ${field} field is required.`] },
    },
  };
}

/** `UserController`: accounts, logins and tokens. */
export function authRoutes({ services, legacyTokenTtlSeconds }: LegacyDeps): LegacyRoute[] {
  const { auth, users, dataSource } = services;
  const tymon = (result: AuthResult): LegacyAnswer => ({
    body: {
      access_token: result.accessToken,
      token_type: 'bearer',
      expires_in: result.expiresIn,
      user: userRow(dataSource, result.user, 'self'),
    },
  });
  const tokens = { accessTokenTtlSeconds: legacyTokenTtlSeconds };

  const changePassword: Omit<Extract<LegacyRoute, { auth: 'required' }>, 'path'> = {
    method: 'post',
    summary: 'Changes the password (current_password is now required) and ends every other session.',
    auth: 'required',
    fields: [
      { name: 'current_password', required: true, description: 'The password now (new rule).' },
      { name: 'new_password', required: true, description: 'At least 8 characters.' },
    ],
    failure: 'Đổi mật khẩu không thành công',
    errorDetail: false,
    answers: okSchema(),
    async handle({ viewer, input }) {
      const args = await validated(ChangePasswordArgs, {
        currentPassword: requiredText(input, 'current_password'),
        newPassword: requiredText(input, 'new_password'),
      });
      await auth.changePassword(viewer, args.currentPassword, args.newPassword);
      return ok('Đổi mật khẩu thành công', {}, 201);
    },
  };

  return [
    {
      method: 'post',
      path: '/auth/register',
      summary: 'Creates an account (not an admin), without logging in.',
      auth: 'none',
      fields: [
        { name: 'name', required: true, description: 'The display name.' },
        { name: 'email', required: true, description: 'Unique.' },
        { name: 'password', required: true, description: 'At least 8 characters.' },
        { name: 'phonenumber', required: true, description: 'Unique.' },
        { name: 'address', required: true, description: 'The postal address.' },
        {
          name: 'role',
          required: true,
          description: 'jobseeker or employer.',
          enum: ['jobseeker', 'employer'],
        },
      ],
      failure: registerRefusal,
      errorDetail: false,
      answers: okSchema('user', USER_ROW),
      async handle({ input, client }) {
        const data = await validated(RegisterInput, {
          name: requiredText(input, 'name'),
          email: requiredText(input, 'email'),
          password: requiredText(input, 'password'),
          phonenumber: requiredText(input, 'phonenumber'),
          address: requiredText(input, 'address'),
          role: requiredOneOf(input, 'role', ROLES),
        });
        const user = await auth.createAccount(data, client);
        return ok('Đăng kí thành công', { user: userRow(dataSource, user, 'self') }, 201);
      },
    },
    {
      method: 'post',
      path: '/auth/login',
      summary: 'Logs in: a bearer token for every API of this server, living LEGACY_TOKEN_TTL seconds.',
      auth: 'none',
      fields: [
        { name: 'email', required: true, description: 'The account email.' },
        { name: 'password', required: true, description: 'The password.' },
      ],
      failure: BAD_LOGIN,
      errorDetail: false,
      answers: TOKEN,
      otherAnswers: {
        '422': {
          description: 'email or password missing, as Laravel validation answered it.',
          schema: {
            type: 'object',
            required: ['message', 'errors'],
            properties: {
              message: { type: 'string' },
              errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
            },
          },
        },
      },
      async handle({ input, client }) {
        const email = text(input, 'email');
        const password = text(input, 'password');
        if (email === undefined) return invalid('email');
        if (password === undefined) return invalid('password');
        try {
          return tymon(await auth.login(email, password, client, tokens));
        } catch (error) {
          if (!(error instanceof AppError) || error.code === 'TOO_MANY_REQUESTS') throw error;
          // Banned is told only to whoever gave the right password, as the service decides.
          return refused(error.code === 'FORBIDDEN' ? BANNED : BAD_LOGIN);
        }
      },
    },
    {
      method: 'post',
      path: '/auth/logout',
      summary: "Ends the token's session on every API: its token, its sockets and its Pusher channels.",
      auth: 'required',
      fields: [],
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: { type: 'object', properties: { message: { const: 'User successfully signed out' } } },
      async handle({ viewer }) {
        await auth.logout(viewer);
        return { body: { message: 'User successfully signed out' } };
      },
    },
    {
      method: 'post',
      path: '/auth/refresh',
      summary: 'A new token for the same session; the token sent stops working.',
      auth: 'required',
      fields: [],
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: TOKEN,
      async handle({ viewer, client }) {
        return tymon(await auth.reissue(viewer, client, tokens));
      },
    },
    {
      method: 'get',
      path: '/auth/user-profile',
      summary:
        'Your row: {user, jobseeker} or {user, employer} (the second always null here); an admin the bare row.',
      auth: 'required',
      fields: [],
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: {
        oneOf: [
          USER_ROW,
          { type: 'object', properties: { user: USER_ROW, jobseeker: { type: 'null' } } },
          { type: 'object', properties: { user: USER_ROW, employer: { type: 'null' } } },
        ],
      },
      async handle({ viewer }) {
        const user = userRow(dataSource, viewer.user, viewer);
        // The job seeker and employer profiles stay with the Laravel app; this server has no such tables.
        if (viewer.user.role === UserRole.JOBSEEKER) return { body: { user, jobseeker: null } };
        if (viewer.user.role === UserRole.EMPLOYER) return { body: { user, employer: null } };
        return { body: user };
      },
    },
    {
      method: 'post',
      path: '/auth/user-profile',
      summary:
        'Changes name, email, phonenumber and address; role, status and password are never taken from it.',
      auth: 'required',
      fields: PROFILE_FIELDS.map((name) => ({ name, description: `The new ${name}; absent, unchanged.` })),
      failure: 'Có lỗi xảy ra',
      errorDetail: true,
      answers: okSchema(),
      async handle({ viewer, input }) {
        const changes = Object.fromEntries(PROFILE_FIELDS.map((name) => [name, text(input, name)]));
        await users.updateProfile(viewer, await validated(UpdateProfileInput, changes));
        return ok('Cập nhật hồ sơ thành công');
      },
    },
    { ...changePassword, path: '/auth/change-password' },
    // The Laravel route was declared with a trailing space, so the path old apps call may end in one.
    { ...changePassword, path: '/auth/change-password%20' },
    {
      method: 'get',
      path: '/auth/users',
      summary: 'Up to 25 active users whose name contains searchContent (an admin: also email or phone).',
      auth: 'required',
      fields: [{ name: 'searchContent', description: 'The text to look for; absent, everyone.' }],
      failure: 'Có lỗi xảy ra',
      errorDetail: false,
      answers: {
        type: 'object',
        required: ['success', 'users'],
        properties: { success: { const: true }, users: listOf(USER_ROW) },
      },
      async handle({ viewer, input }) {
        const args = await validated(SearchUsersArgs, {
          query: text(input, 'searchContent') ?? '',
          first: SEARCH_LIMIT,
        });
        const found = await users.search(viewer, args.query, args.first);
        return { body: { success: true, users: found.map((user) => userRow(dataSource, user, viewer)) } };
      },
    },
  ];
}

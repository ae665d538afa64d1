// JSON Schemas of the legacy bodies, for the OpenAPI description (`openapi.ts` puts them under components).

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const USER_ROW = ref('UserRow');
export const MESSAGE_ROW = ref('MessageRow');
export const NOTIFICATION_ROW = ref('NotificationRow');
export const TOKEN = ref('Token');
export const PAGINATOR = ref('UserPaginator');

/** `{success: true, message, <key>: schema}`, or without a key. */
export function okSchema(key?: string, schema?: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    required: ['success', 'message', ...(key === undefined ? [] : [key])],
    properties: {
      success: { const: true },
      message: { type: 'string' },
      ...(key === undefined || schema === undefined ? {} : { [key]: schema }),
    },
  };
}

export const listOf = (schema: Record<string, unknown>) => ({ type: 'array', items: schema });
export const INTEGER = { type: 'integer' };

const timestamp = { type: 'string', examples: ['2021-11-02T08:00:00.000000Z'] };
const id = { type: 'integer' };
const status = { type: 'string', enum: ['hidden', 'unseen', 'seen'] };
const nullableText = { type: ['string', 'null'] };

export const COMPONENT_SCHEMAS: Record<string, unknown> = {
  UserRow: {
    type: 'object',
    description: 'A users row. email, phonenumber and address are null unless you are this user or an admin.',
    properties: {
      user_id: id,
      email: nullableText,
      name: { type: 'string' },
      phonenumber: nullableText,
      address: nullableText,
      role: { type: 'string', enum: ['jobseeker', 'employer', 'admin'] },
      status: { type: 'string', enum: ['active', 'banned'] },
      image_link: nullableText,
      created_at: timestamp,
      updated_at: timestamp,
    },
    additionalProperties: false,
  },
  MessageRow: {
    type: 'object',
    properties: {
      message_id: id,
      detail: { type: 'string' },
      status,
      sender_id: id,
      receiver_id: id,
      created_at: timestamp,
      updated_at: timestamp,
    },
    additionalProperties: false,
  },
  NotificationRow: {
    type: 'object',
    properties: {
      notification_id: id,
      title: { type: 'string' },
      detail: { type: 'string' },
      status,
      receiver_id: id,
      created_at: timestamp,
      updated_at: timestamp,
    },
    additionalProperties: false,
  },
  Token: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'user'],
    properties: {
      access_token: { type: 'string' },
      token_type: { const: 'bearer' },
      expires_in: { type: 'integer', description: 'Seconds the token lives (LEGACY_TOKEN_TTL).' },
      user: USER_ROW,
    },
    additionalProperties: false,
  },
  UserPaginator: {
    type: 'object',
    description: "Laravel 8's LengthAwarePaginator, 20 a page.",
    properties: {
      current_page: INTEGER,
      data: listOf(USER_ROW),
      first_page_url: { type: 'string' },
      from: { type: ['integer', 'null'] },
      last_page: INTEGER,
      last_page_url: { type: 'string' },
      links: listOf({
        type: 'object',
        properties: { url: nullableText, label: { type: 'string' }, active: { type: 'boolean' } },
      }),
      next_page_url: nullableText,
      path: { type: 'string' },
      per_page: INTEGER,
      prev_page_url: nullableText,
      to: { type: ['integer', 'null'] },
      total: INTEGER,
    },
  },
  Refusal: {
    type: 'object',
    description: 'A refused request, answered with HTTP 200 as the Laravel controllers did.',
    required: ['success', 'message'],
    properties: { success: { const: false }, message: { type: 'string' }, error: { type: 'string' } },
    additionalProperties: false,
  },
  Unauthenticated: {
    type: 'object',
    required: ['error'],
    properties: { error: { enum: ['Unauthenticated.', 'Unauthenticated. Please login.'] } },
  },
  Problem: {
    type: 'object',
    description:
      'An unknown path (404), a wrong method (405), a malformed body (400) or too many requests (429).',
    required: ['message'],
    properties: { message: { type: 'string' } },
  },
};

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const hmac = (secret: string, text: string): string =>
  createHmac('sha256', secret).update(text).digest('hex');

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Whether `auth` is `<key>:<HMAC-SHA256 of "socket_id:channel_name">`, as the Pusher protocol signs channels; for a
 * presence channel the signed text ends with `:channel_data`.
 */
export function isValidChannelAuth(
  key: string,
  secret: string,
  socketId: string,
  channel: string,
  auth: unknown,
  channelData?: string,
) {
  const signed =
    channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return typeof auth === 'string' && equalText(auth, `${key}:${hmac(secret, signed)}`);
}

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly body: Buffer;
}

const MAX_CLOCK_SKEW_SECONDS = 600;

/**
 * Checks a Pusher HTTP API request: the key, the timestamp, the version, the body's MD5 and the signature over
 * `METHOD\npath\nsorted query`. Returns why it is refused, or undefined when it is genuine.
 */
export function apiRequestProblem(key: string, secret: string, request: SignedRequest): string | undefined {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query)) {
    if (typeof value !== 'string') return `query parameter ${name} is malformed`;
    query[name] = value;
  }
  if (query.auth_key !== key) return 'unknown auth_key';
  if (query.auth_version !== '1.0') return 'auth_version must be 1.0';
  const timestamp = Number(query.auth_timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS) {
    return 'auth_timestamp is missing or too far from the server time';
  }
  if (request.body.length > 0 && query.body_md5 !== createHash('md5').update(request.body).digest('hex')) {
    return 'body_md5 does not match the body';
  }
  const signed = Object.keys(query)
    .filter((name) => name !== 'auth_signature')
    .sort()
    .map((name) => `${name}=${query[name]}`)
    .join('&');
  const expected = hmac(secret, [request.method.toUpperCase(), request.path, signed].join('\n'));
  if (!equalText(query.auth_signature ?? '', expected)) return 'invalid auth_signature';
  return undefined;
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The channel a signed-in user's `sendToUser` events arrive on. */
export const serverToUserChannel = (userId: string): string => `#server-to-user-${userId}`;

const SERVER_TO_USER = /^#server-to-user-([-a-zA-Z0-9_=@,.;]{1,128})$/;

/** The user a `#server-to-user-{id}` channel is for, or undefined for any other name. */
export const serverToUserOf = (channel: string): string | undefined => SERVER_TO_USER.exec(channel)?.[1];

/** The signature of a `pusher:signin`: HMAC-SHA256 of `socket_id::user::user_data`, as the `pusher` SDK signs it. */
export function userAuthSignature(key: string, secret: string, socketId: string, userData: string): string {
  return `${key}:${createHmac('sha256', secret).update(`${socketId}::user::${userData}`).digest('hex')}`;
}

/** The user id of a genuine signin, or undefined when the signature or `user_data` is not right. */
export function signedInUser(
  key: string,
  secret: string,
  socketId: string,
  auth: unknown,
  userData: unknown,
): string | undefined {
  if (typeof auth !== 'string' || typeof userData !== 'string' || userData.length > 10 * 1024)
    return undefined;
  const expected = Buffer.from(userAuthSignature(key, secret, socketId, userData));
  const given = Buffer.from(auth);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(userData);
  } catch {
    return undefined;
  }
  const id = (data as { id?: unknown } | null)?.id;
  return typeof id === 'string' && serverToUserOf(serverToUserChannel(id)) === id ? id : undefined;
}

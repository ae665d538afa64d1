/** The characters Pusher allows in a channel name. */
const CHANNEL_CHARACTERS = /^[-a-zA-Z0-9_=@,.;]+$/;

/** Pusher Channels' own limit on a channel name's length, which its HTTP API enforces. */
export const PUSHER_CHANNEL_NAME_MAX_LENGTH = 164;

/** Whether `name` is a channel name Pusher would accept, at most `maxLength` characters long. */
export function isChannelName(name: unknown, maxLength: number): name is string {
  return typeof name === 'string' && name.length <= maxLength && CHANNEL_CHARACTERS.test(name);
}

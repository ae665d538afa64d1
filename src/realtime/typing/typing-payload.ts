import type { TypingChange } from '../../events/shared-bus';

/** The Pusher event a legacy client gets on `private-MessageChannel.User.{receiverId}`. */
export const TYPING_EVENT = 'Typing';

/**
 * The `Typing` event data, in the envelope of the legacy model events so clients parse it the same way:
 * `{"model":{"sender_id":5,"receiver_id":7,"typing":true},"connection":null,"queue":null}`, with the typist as
 * `sender_id`, as in a message they would send.
 */
export function legacyTypingPayload(change: TypingChange): string {
  const model = { sender_id: change.typistId, receiver_id: change.receiverId, typing: change.typing };
  return JSON.stringify({ model, connection: null, queue: null });
}

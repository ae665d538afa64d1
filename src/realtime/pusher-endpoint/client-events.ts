/** Client events (`client-…`) as Pusher Channels rules them; see README, "Pusher features". */
export interface ClientEventSettings {
  readonly enabled: boolean;
  /** Most client events one connection may send in any second. */
  readonly perSecond: number;
}

/** Pusher's limit on a client event's data, as on the HTTP events API. */
export const CLIENT_EVENT_MAX_DATA_BYTES = 10 * 1024;
/** Pusher's code for a client event over the rate limit. */
export const ERROR_CLIENT_EVENT_RATE = 4301;

/** Counts one connection's client events over the last second (a sliding window, not calendar seconds). */
export class ClientEventRate {
  private readonly sent: number[] = [];

  constructor(private readonly perSecond: number) {}

  allow(now = Date.now()): boolean {
    while (this.sent.length > 0 && now - this.sent[0] >= 1000) this.sent.shift();
    if (this.sent.length >= this.perSecond) return false;
    this.sent.push(now);
    return true;
  }
}

export type ClientEventVerdict =
  | { readonly ok: true; readonly data: string }
  | { readonly ok: false; readonly code: number | null; readonly message: string };

/**
 * Whether a client event may go out: only on a private or presence channel the connection has joined (not an
 * encrypted one: the server cannot read what it would relay), within the size and the rate, when enabled.
 * `data` is the event's data as the client sent it, re-encoded as the JSON text relayed to the others.
 */
export function judgeClientEvent(
  settings: ClientEventSettings,
  event: { readonly channel: unknown; readonly data: unknown; readonly joined: boolean },
  rate: ClientEventRate,
): ClientEventVerdict {
  const refuse = (message: string, code: number | null = null) => ({ ok: false, code, message }) as const;
  if (!settings.enabled) return refuse('Client events are turned off on this server');
  const { channel } = event;
  if (typeof channel !== 'string' || !(channel.startsWith('private-') || channel.startsWith('presence-'))) {
    return refuse('Client events go only to private and presence channels');
  }
  if (channel.startsWith('private-encrypted-'))
    return refuse('Client events are not supported on encrypted channels');
  if (!event.joined) return refuse(`Subscribe to ${channel} before sending client events to it`);
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data ?? null);
  if (Buffer.byteLength(data) > CLIENT_EVENT_MAX_DATA_BYTES)
    return refuse('Client event data is larger than 10 KB');
  if (!rate.allow()) {
    return refuse(`At most ${settings.perSecond} client events per second`, ERROR_CLIENT_EVENT_RATE);
  }
  return { ok: true, data };
}

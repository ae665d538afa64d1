import { createHmac } from 'node:crypto';
import type { PresenceChange } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { PusherApp } from './pusher-api';

/** The group whose members are the occupied Pusher channels (see PresenceService.channelHeld). */
export const PUSHER_CHANNELS_GROUP = 'pusher-channels';

/** One event of a Pusher webhook, as Pusher Channels posts it. */
export type PusherWebhookEvent =
  | { readonly name: 'channel_occupied' | 'channel_vacated'; readonly channel: string }
  | { readonly name: 'member_added' | 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      readonly user_id?: string;
    };

export interface PusherWebhookOptions {
  /** How long events gather before one post carries them all. */
  readonly batchMs: number;
  readonly maxBatch: number;
  /** Posts of one batch to one URL, the first included; the delay before each retry doubles. */
  readonly attempts: number;
  readonly firstRetryMs: number;
  readonly timeoutMs: number;
  /** Past this many waiting events the oldest are dropped (a receiver down for long must not eat memory). */
  readonly maxQueued: number;
}

const DEFAULTS: PusherWebhookOptions = {
  batchMs: 50,
  maxBatch: 100,
  attempts: 6,
  firstRetryMs: 500,
  timeoutMs: 5000,
  maxQueued: 10_000,
};

const STOP_WAIT_MS = 2000;

/** The webhook event a presence store change stands for, if any. */
export function webhookOfPresence(change: Pick<PresenceChange, 'group' | 'member' | 'present'>) {
  if (change.group === PUSHER_CHANNELS_GROUP) {
    return { name: change.present ? 'channel_occupied' : 'channel_vacated', channel: change.member } as const;
  }
  if (change.group.startsWith('presence-')) {
    return {
      name: change.present ? 'member_added' : 'member_removed',
      channel: change.group,
      user_id: change.member,
    } as const;
  }
  return undefined;
}

/**
 * Posts Pusher webhooks: `{time_ms, events}` signed with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the
 * body with the app secret), batched, each batch retried with backoff on a failure or a non-2xx answer. `send`
 * only queues: nothing here waits for a receiver, so a slow or failing one never holds back delivery.
 */
export class PusherWebhooks {
  private queue: PusherWebhookEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly app: PusherApp,
    private readonly urls: readonly string[],
    private readonly logger: Logger,
    private readonly options: PusherWebhookOptions = DEFAULTS,
  ) {}

  send(event: PusherWebhookEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (this.queue.length > this.options.maxQueued) {
      this.queue.splice(0, this.queue.length - this.options.maxQueued);
      this.logger.warn('Pusher webhook queue full: dropping the oldest events');
    }
    if (this.queue.length >= this.options.maxBatch) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.batchMs);
  }

  /** Posts what is queued once, and what is in flight is awaited; retries still waiting are given up. */
  async stop(): Promise<void> {
    this.flush();
    this.stopped = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    // Bounded: a receiver that does not answer must not hold the shutdown for its whole timeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlight]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    while (this.queue.length > 0) {
      const events = this.queue.splice(0, this.options.maxBatch);
      const body = JSON.stringify({ time_ms: Date.now(), events });
      for (const url of this.urls) this.post(url, body, 1);
    }
  }

  private post(url: string, body: string, attempt: number): void {
    const posted = this.attempt(url, body).then((problem) => {
      if (problem === undefined) return;
      if (this.stopped || attempt >= this.options.attempts) {
        this.logger.warn({ url, problem, attempt }, 'Pusher webhook not delivered; giving it up');
        return;
      }
      this.logger.debug({ url, problem, attempt }, 'Pusher webhook failed; retrying');
      const timer = setTimeout(
        () => {
          this.retries.delete(timer);
          this.post(url, body, attempt + 1);
        },
        this.options.firstRetryMs * 2 ** (attempt - 1),
      );
      this.retries.add(timer);
    });
    this.inFlight.add(posted);
    void posted.finally(() => this.inFlight.delete(posted));
  }

  /** Why the post failed, or undefined when the receiver took it (any 2xx). */
  private async attempt(url: string, body: string): Promise<string | undefined> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-pusher-key': this.app.key,
          'x-pusher-signature': createHmac('sha256', this.app.secret).update(body).digest('hex'),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}

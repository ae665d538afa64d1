import type { Logger } from '../logger';

/** Who can say which sessions still count, in one query for all of them. */
export interface SessionLiveness {
  liveSessions(sessionIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Every `intervalSeconds`, asks which of the sessions holding sockets here are still live and ends the others. The
 * bus closes sockets within a second; this catches what it missed (a failed publish, a Redis reconnect, a
 * revocation written straight to the database).
 */
export class SessionRecheck {
  private readonly timer: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly liveness: SessionLiveness,
    intervalSeconds: number,
    private readonly logger: Logger,
    private readonly holders: () => Iterable<string>,
    private readonly end: (sessionId: string) => void,
  ) {
    this.timer = setInterval(() => void this.run(), intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Checks now; a check already under way is not doubled. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const held = [...new Set(this.holders())];
      if (held.length === 0) return;
      const live = await this.liveness.liveSessions(held);
      for (const sessionId of held) if (!live.has(sessionId)) this.end(sessionId);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not re-check the sessions holding sockets');
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

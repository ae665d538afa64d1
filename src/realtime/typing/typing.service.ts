import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { User } from '../../entities';
import { badInput, notFound } from '../../errors';
import type { TypingChange } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { Viewer } from '../../services/viewer';
import type { TypingState } from './typing-state';

export interface TypingTiming {
  /** At most one `typing: true` per pair within this window, however often the typist calls. */
  readonly windowMs: number;
  /** `typing: false` follows this long after the last call. */
  readonly idleMs: number;
}

export const DEFAULT_TYPING_TIMING: TypingTiming = { windowMs: 2000, idleMs: 5000 };

/**
 * Typing indicators, never stored: between two users who may message each other (as `sendMessage` allows), at most
 * one event per pair and window whichever instances the calls reach, and an end when the typist stops or sends.
 */
export class TypingService {
  /** This instance's timer for each pair whose latest call it took. */
  private readonly timers = new Map<string, { readonly token: string; readonly timer: NodeJS.Timeout }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly state: TypingState,
    private readonly announce: (change: TypingChange) => Promise<void>,
    private readonly logger: Logger,
    private readonly timing: TypingTiming = DEFAULT_TYPING_TIMING,
  ) {}

  async typing(viewer: Viewer, receiverId: number): Promise<boolean> {
    const typistId = viewer.user.id;
    if (receiverId === typistId) throw badInput('otherUserId', 'you cannot type to yourself.');
    if (!(await this.dataSource.getRepository(User).existsBy({ id: receiverId }))) {
      throw notFound('User', receiverId);
    }
    const pair = `${typistId}:${receiverId}`;
    const token = randomUUID();
    const first = await this.state.touch(pair, token, this.timing.windowMs, this.timing.idleMs);
    this.schedule(pair, token, { typistId, receiverId, typing: false });
    if (first) await this.announce({ typistId, receiverId, typing: true });
    return true;
  }

  /** The typist sent the receiver a message: the indicator ends at once. Never throws. */
  async messageSent(typistId: number, receiverId: number): Promise<void> {
    const pair = `${typistId}:${receiverId}`;
    clearTimeout(this.timers.get(pair)?.timer);
    this.timers.delete(pair);
    try {
      if (await this.state.stop(pair)) await this.announce({ typistId, receiverId, typing: false });
    } catch (error) {
      this.logger.warn({ err: error, pair }, 'could not end a typing indicator');
    }
  }

  /** Ends, now, the indicators whose timers this instance holds. */
  async stop(): Promise<void> {
    const pending = [...this.timers];
    this.timers.clear();
    await Promise.all(
      pending.map(([pair, { token, timer }]) => {
        clearTimeout(timer);
        const [typistId, receiverId] = pair.split(':').map(Number);
        return this.idle(pair, token, { typistId, receiverId, typing: false });
      }),
    );
  }

  private schedule(pair: string, token: string, end: TypingChange): void {
    clearTimeout(this.timers.get(pair)?.timer);
    const timer = setTimeout(() => {
      if (this.timers.get(pair)?.token === token) this.timers.delete(pair);
      void this.idle(pair, token, end);
    }, this.timing.idleMs);
    this.timers.set(pair, { token, timer });
  }

  /** The timer of a call ran out: only the latest call (on any instance) ends the indicator. */
  private async idle(pair: string, token: string, end: TypingChange): Promise<void> {
    try {
      if (await this.state.stopIfLatest(pair, token)) await this.announce(end);
    } catch (error) {
      this.logger.warn({ err: error, pair }, 'could not end a typing indicator');
    }
  }
}

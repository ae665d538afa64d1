import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { User } from '../../entities';
import { badInput, forbidden, notFound } from '../../errors';
import type { TypingChange } from '../../events/shared-bus';
import type { Throttles } from '../../http/throttles';
import type { Logger } from '../../logger';
import { countAttempt } from '../../services/attempts';
import type { Viewer } from '../../services/viewer';
import { watchableUsers } from '../presence/presence-visibility';
import type { TypingState } from './typing-state';

export interface TypingTiming {
  /** At most one `typing: true` per pair within this window, however often the typist calls. */
  readonly windowMs: number;
  /** `typing: false` follows this long after the last call. */
  readonly idleMs: number;
}

export const DEFAULT_TYPING_TIMING: TypingTiming = { windowMs: 2000, idleMs: 5000 };

/** How long after the last call's own timer a watchdog looks: that timer ends the indicator first if it can. */
const WATCHDOG_GRACE_MS = 1000;

/**
 * Typing indicators, never stored: to a user who has written to the typist (presence's rule), at most
 * one event per pair and window whichever instances the calls reach, and an end when the typist stops or sends.
 */
export class TypingService {
  /** This instance's timer for each pair whose latest call it took. */
  private readonly timers = new Map<string, { readonly token: string; readonly timer: NodeJS.Timeout }>();
  /** Every instance's watch over each indicator that is on, should the instance holding its timer die. */
  private readonly watchdogs = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly state: TypingState,
    private readonly announce: (change: TypingChange) => Promise<void>,
    private readonly throttles: Throttles,
    private readonly logger: Logger,
    private readonly timing: TypingTiming = DEFAULT_TYPING_TIMING,
  ) {}

  /** Throttled per typist: each call costs a lookup and a state write, whether or not an event goes out. */
  async typing(viewer: Viewer, receiverId: number): Promise<boolean> {
    const typistId = viewer.user.id;
    await countAttempt(this.throttles, 'typingPerUser', String(typistId));
    if (receiverId === typistId) throw badInput('otherUserId', 'you cannot type to yourself.');
    if (!(await this.dataSource.getRepository(User).existsBy({ id: receiverId }))) {
      throw notFound('User', receiverId);
    }
    // The rule of presence: only to someone who has written to the typist (or as an admin), never to a stranger.
    if (!(await watchableUsers(this.dataSource, viewer, [receiverId])).has(receiverId)) {
      throw forbidden('You may only type to people who have written to you.');
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

  /**
   * Every instance hears every typing change (the bus): while an indicator is on, each one watches it, and ends it
   * once its latest call is `idleMs` old, in case the instance whose timer should have ended it died. The `on`
   * marker of the state makes that end go out once, whoever gets there first.
   */
  heard(change: TypingChange): void {
    const pair = `${change.typistId}:${change.receiverId}`;
    clearTimeout(this.watchdogs.get(pair));
    this.watchdogs.delete(pair);
    if (change.typing) this.watch(pair, { ...change, typing: false }, this.timing.idleMs + WATCHDOG_GRACE_MS);
  }

  /** Ends, now, the indicators whose timers this instance holds. */
  async stop(): Promise<void> {
    for (const watchdog of this.watchdogs.values()) clearTimeout(watchdog);
    this.watchdogs.clear();
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

  private watch(pair: string, end: TypingChange, inMs: number): void {
    const watchdog = setTimeout(() => {
      void (async () => {
        if (this.watchdogs.get(pair) !== watchdog) return;
        this.watchdogs.delete(pair);
        try {
          const check = await this.state.stopIfStale(pair, this.timing.idleMs);
          if (check === 'ended') await this.announce(end);
          else if (check === 'fresh' && !this.watchdogs.has(pair)) this.watch(pair, end, WATCHDOG_GRACE_MS);
        } catch (error) {
          this.logger.warn({ err: error, pair }, 'could not check a typing indicator');
        }
      })();
    }, inMs);
    watchdog.unref();
    this.watchdogs.set(pair, watchdog);
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

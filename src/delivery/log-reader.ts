import type { RealtimeEvent } from '../events/realtime-event';
import type { Logger } from '../logger';
import { withTimeout } from '../timeout';
import type { EventLog } from './event-log';
import { type LogRow, toEvent } from './event-log';
import type { EventSink } from './event-sink';
import type { WakeUp } from './wake-up';

export interface LogReaderOptions {
  /** How often the log is read without a notice (and what a lost notice costs at most). */
  readonly pollMs: number;
  /** Called with each batch handed to the sinks, for metrics; the reader never depends on what it does. */
  readonly observe?: (events: readonly RealtimeEvent[]) => void;
  /** Work on the log to do every so often (pruning), by whichever instance's reader gets there. */
  readonly chores?: { readonly everyMs: number; run(): Promise<unknown> };
}

const READ_BATCH = 500;
const STOP_TIMEOUT_MS = 5000;

/**
 * One instance's reader of the event log: from its own position (the newest id when it started), in id order,
 * to its own sinks. A local commit makes it sequence the log (number what was committed) and read; a notice from
 * another instance makes it read; failing both, it polls. Nothing else is needed for correctness: a notice lost,
 * a bus down or another instance frozen only delays, by at most `pollMs`.
 */
export class LogReader {
  private position = '0';
  private running: Promise<void> | undefined;
  private again = false;
  private sequenceAgain = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private nextChoreAt = 0;

  constructor(
    private readonly log: EventLog,
    private readonly sinks: readonly EventSink[],
    private readonly wakeUp: WakeUp,
    private readonly logger: Logger,
    private readonly options: LogReaderOptions,
  ) {}

  /** The last event id handed to the sinks. */
  get at(): string {
    return this.position;
  }

  async start(): Promise<void> {
    this.position = await this.log.head();
    this.stopped = false;
    await this.wakeUp.listen(() => this.kick(false));
    this.kick(true);
  }

  /** Reads at once; `sequence` numbers what was committed first (after a local commit, and on every poll). */
  kick(sequence = true): void {
    if (this.stopped) return;
    this.sequenceAgain ||= sequence;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.wakeUp.close();
    if (this.running) await withTimeout(this.running, STOP_TIMEOUT_MS).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(true), this.options.pollMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        let first: LogRow[] | undefined;
        if (this.sequenceAgain) {
          this.sequenceAgain = false;
          const { rows, added } = await this.log.advance(
            this.position,
            READ_BATCH,
            this.wakeUp.sequencingNotice,
          );
          if (added > 0) {
            this.wakeUp.announce(rows.at(-1)?.event_id ?? this.position).catch((error: unknown) => {
              this.logger.warn({ err: error }, 'could not announce new events; other instances poll');
            });
          }
          first = rows;
        }
        await this.read(first);
        await this.chores();
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) this.logger.error({ err: error }, 'reading the event log failed; retrying');
    }
  }

  /** Hands the log after the position to the sinks, from `first` when the sequencing read it already. */
  private async read(first?: LogRow[]): Promise<void> {
    let given = first;
    while (!this.stopped) {
      const rows = given ?? (await this.log.after(this.position, READ_BATCH));
      given = undefined;
      if (rows.length === 0) return;
      this.position = rows[rows.length - 1].event_id;
      const events = rows.map(toEvent);
      for (const sink of this.sinks) {
        try {
          sink.deliver(events);
        } catch (error) {
          this.logger.error({ err: error, sink: sink.name }, 'a sink failed to take events');
        }
      }
      this.options.observe?.(events);
      if (rows.length < READ_BATCH) return;
    }
  }

  private async chores(): Promise<void> {
    const chores = this.options.chores;
    if (!chores || Date.now() < this.nextChoreAt) return;
    this.nextChoreAt = Date.now() + chores.everyMs;
    await chores.run();
  }
}

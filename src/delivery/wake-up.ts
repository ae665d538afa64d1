import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { SharedBus } from '../events/shared-bus';
import type { Logger } from '../logger';

/**
 * How instances tell each other that the log grew, so their readers read at once. Only a hint: a notice lost or
 * late delays delivery by at most the readers' poll interval, never loses anything.
 */
export interface WakeUp {
  /**
   * What the sequencing itself sends with its `NOTIFY` when it added events (the wake-up over PostgreSQL), so that
   * `announce` has nothing left to do; undefined for other wake-ups.
   */
  readonly sequencingNotice?: string;
  /** Tells every instance (this one included or not, it does not matter) that the log reached `head`. */
  announce(head: string): Promise<void>;
  /** Calls `handler` on every notice, and after the notice channel comes back from a break. */
  listen(handler: () => void): Promise<void>;
  close(): Promise<void>;
}

/** One instance alone (the embedded database is locked to one process): its own commits wake its reader. */
export class LocalWakeUp implements WakeUp {
  async announce(): Promise<void> {}
  async listen(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * With REDIS_URL: notices cross the bus, which announces its reconnects too. An instance's own notices are
 * ignored: its reader reads after its own sequencing anyway.
 */
export class BusWakeUp implements WakeUp {
  private readonly instanceId = randomUUID();

  constructor(private readonly bus: SharedBus) {}

  announce(head: string): Promise<void> {
    return this.bus.publish('event-log', { head, from: this.instanceId });
  }

  async listen(handler: () => void): Promise<void> {
    await this.bus.subscribe('event-log', (notice) => {
      if (notice.from !== this.instanceId) handler();
    });
    this.bus.onReconnect(handler);
  }

  async close(): Promise<void> {}
}

const CHANNEL = 'event_log';
const RECONNECT_MS = 1000;

/**
 * A shared PostgreSQL without Redis: `NOTIFY`, sent by the sequencing that added events (`event_log_sequence`) and
 * heard on one connection of its own that `LISTEN`s. An instance's own notices are ignored: its reader reads
 * after its own sequencing anyway.
 */
export class PgWakeUp implements WakeUp {
  readonly sequencingNotice = `${randomUUID()}:`;
  private client: Client | undefined;
  private closed = false;
  private handler: () => void = () => undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  async announce(): Promise<void> {}

  async listen(handler: () => void): Promise<void> {
    this.handler = handler;
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (notice) => {
      if (!notice.payload?.startsWith(this.sequencingNotice)) this.handler();
    });
    const broken = (error?: Error) => {
      if (this.client !== client || this.closed) return;
      this.client = undefined;
      this.logger.warn({ err: error }, 'lost the LISTEN connection of the event log; reconnecting');
      client.end().catch(() => undefined);
      this.retry = setTimeout(() => void this.reconnect(), RECONNECT_MS);
      this.retry.unref();
    };
    client.on('error', broken);
    client.on('end', () => broken());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Only from here on does a break schedule a reconnect; a failed connect is retried by its caller.
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    try {
      await this.connect();
      // Whatever was announced during the break went unheard.
      this.handler();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not LISTEN to the event log; retrying');
      if (!this.closed) {
        this.retry = setTimeout(() => void this.reconnect(), RECONNECT_MS);
        this.retry.unref();
      }
    }
  }
}

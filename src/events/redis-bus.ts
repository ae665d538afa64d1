import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { BusKind, BusMessages, SharedBus } from './shared-bus';

/** The bus across instances: Redis pub/sub, one channel per message kind. */
export class RedisBus implements SharedBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, ((message: never) => void)[]>();
  private readonly reconnectHandlers: (() => void)[] = [];
  private wasReady = false;

  private constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { lazyConnect: true });
    this.subscriber.on('message', (channel: string, text: string) => {
      const kind = channel.slice(this.prefix.length);
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch (error) {
        this.logger.error({ err: error, channel }, 'unreadable bus message');
        return;
      }
      for (const handler of this.handlers.get(kind) ?? []) handler(message as never);
    });
    // ioredis subscribes again by itself on a reconnect; what was published meanwhile is gone.
    this.subscriber.on('ready', () => {
      if (this.wasReady) {
        this.logger.warn('the Redis bus is back after a break');
        for (const handler of this.reconnectHandlers) handler();
      }
      this.wasReady = true;
    });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (error: Error) => this.logger.warn({ err: error }, 'Redis connection error'));
    }
  }

  static async connect(url: string, prefix: string, logger: Logger): Promise<RedisBus> {
    const bus = new RedisBus(url, prefix, logger);
    await Promise.all([bus.publisher.connect(), bus.subscriber.connect()]);
    return bus;
  }

  async publish<K extends BusKind>(kind: K, message: BusMessages[K]): Promise<void> {
    await this.publisher.publish(this.prefix + kind, JSON.stringify(message));
  }

  async subscribe<K extends BusKind>(kind: K, handler: (message: BusMessages[K]) => void): Promise<void> {
    const list = this.handlers.get(kind);
    if (list) {
      list.push(handler as (message: never) => void);
      return;
    }
    this.handlers.set(kind, [handler as (message: never) => void]);
    await this.subscriber.subscribe(this.prefix + kind);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.reconnectHandlers.length = 0;
    await Promise.all([this.publisher.quit(), this.subscriber.quit()]).catch(() => undefined);
  }
}

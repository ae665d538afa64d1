import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sleep } from './wait';

/** A graphql-ws client as an Apollo Client app would open it, with the token in `connectionParams`. */
export class SubscriptionClient {
  readonly client: Client;
  readonly closes: number[] = [];
  private readonly received = new Map<string, unknown[]>();
  private readonly errors = new Map<string, unknown[]>();

  constructor(url: string, token: string | undefined) {
    this.client = createClient({
      url: url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
      on: { closed: (event) => this.closes.push((event as { code: number }).code) },
      onNonLazyError: () => undefined,
    });
  }

  /** Starts a subscription and gives the server a moment to register it before the test writes. */
  async subscribe(name: string, query: string): Promise<void> {
    this.received.set(name, []);
    this.errors.set(name, []);
    this.client.subscribe(
      { query },
      {
        next: (result) => {
          if (result.errors) this.errors.get(name)?.push(...result.errors);
          else this.received.get(name)?.push((result.data as Record<string, unknown>)[name]);
        },
        error: (error) => this.errors.get(name)?.push(error),
        complete: () => undefined,
      },
    );
    // graphql-ws does not acknowledge a subscribe; this leaves the server ample time to register it.
    await sleep(500);
  }

  results<T = Record<string, unknown>>(name: string): T[] {
    return (this.received.get(name) ?? []) as T[];
  }

  failures(name: string): unknown[] {
    return this.errors.get(name) ?? [];
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

export const MESSAGE_FIELDS =
  'id detail status senderId receiverId createdAt updatedAt sender { id } receiver { id }';
export const NOTIFICATION_FIELDS = 'id title detail status receiverId createdAt updatedAt';

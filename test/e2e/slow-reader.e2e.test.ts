import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { catchUp, newestEventId } from '../support/catch-up';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

// A subscription holds at most 20 events for a client that does not read.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { GRAPHQL_WS_MAX_QUEUED_EVENTS: '20' } });
}, 60_000);
afterAll(() => t.close());

const SEEN = 'mutation M($other: ID!) { markConversationSeen(otherUserId: $other) }';
// Many events of 8 KB each: more than the kernel's socket buffers hold, so the server's sends stop completing.
const EVENTS = 2000;
const DETAIL = 'x'.repeat(8000);

async function openGraphqlWsSockets(): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(/^open_sockets\{kind="graphql-ws"\} (\d+)$/m.exec(text)?.[1]);
}

it('closes the socket of a subscriber that stops reading once a queue is full, and a resumable client then misses nothing', async () => {
  const sender = await createUser(t.client);
  const reader = await createUser(t.client);
  const start = await newestEventId(t.client, reader.token);
  let tcp: Socket | undefined;
  class Tapped extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.once('upgrade', () => (tcp = (this as unknown as { _socket: Socket })._socket));
    }
  }
  const variables = { after: start };
  const received: string[] = [];
  const closes: number[] = [];
  const client = createClient({
    url: `${t.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: Tapped,
    connectionParams: { authorization: `Bearer ${reader.token}` },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
    on: { closed: (event) => closes.push((event as { code: number }).code) },
  });
  try {
    client.subscribe<{ realtimeEvents: { id: string; data: string } }>(
      { query: 'subscription ($after: ID) { realtimeEvents(after: $after) { id data } }', variables },
      {
        next: ({ data }) => {
          if (!data) return;
          received.push(data.realtimeEvents.id);
          variables.after = data.realtimeEvents.id;
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await sendMessage(t.client, sender.token, reader.id, 'are you there?');
    await eventually(() => expect(received).toHaveLength(1));

    // The client stops reading; the sender's messages, stored without events, are then marked seen at once.
    tcp?.pause();
    await t.server.database.dataSource.query(
      `INSERT INTO messages (detail, status, sender_id, receiver_id)
       SELECT $1, 'unseen', $2, $3 FROM generate_series(1, $4)`,
      [DETAIL, Number(sender.id), Number(reader.id), EVENTS],
    );
    await t.client.ok(SEEN, { other: sender.id }, reader.token);
    // Past its queue's limit the server lets the socket go rather than hold the events.
    await eventually(async () => expect(await openGraphqlWsSockets()).toBe(0), 60_000);

    tcp?.resume();
    const all = (await catchUp(t.client, reader.token, start)).events.map((event) => event.id);
    expect(all.length).toBeGreaterThan(EVENTS);
    // Reconnected and resumed after the last event it handled: every event once, in order.
    await eventually(() => expect(received).toEqual(all), 60_000);
    expect(closes.length).toBeGreaterThanOrEqual(1);
    expect([1013, 1006]).toContain(closes[0]);
  } finally {
    await client.dispose();
  }
}, 180_000);

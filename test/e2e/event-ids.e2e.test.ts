import WebSocket from 'ws';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { newestEventId, catchUp } from '../support/catch-up';
import { messageChannel, PUSHER_KEY } from '../support/legacy-pusher-client';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** A bare Pusher protocol socket, to see each frame as the server wrote it. */
async function rawPusherSocket(
  user: TestUser,
  channel: string,
): Promise<{ frames: string[]; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${t.server.port}/app/${PUSHER_KEY}?protocol=7&client=js`);
  const frames: string[] = [];
  socket.on('message', (raw) => frames.push(raw.toString()));
  await eventually(() => expect(frames[0]).toContain('pusher:connection_established'));
  const { socket_id: socketId } = JSON.parse((JSON.parse(frames[0]) as { data: string }).data) as {
    socket_id: string;
  };
  const response = await fetch(`${t.url}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ socket_id: socketId, channel_name: channel }),
  });
  const { auth } = (await response.json()) as { auth: string };
  socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth } }));
  await eventually(() => expect(frames.some((f) => f.includes('subscription_succeeded'))).toBe(true));
  return { frames, close: () => socket.close() };
}

it('every delivery carries its event id: Pusher frames beside data, GraphQL payloads as eventId', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const start = await newestEventId(t.client, b.token);
  const pusher = await rawPusherSocket(b, messageChannel(b.id));
  const gql = new SubscriptionClient(t.url, b.token);
  try {
    await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail eventId } }');
    await gql.subscribe(
      'unreadCountsChanged',
      'subscription { unreadCountsChanged { unseenMessages eventId } }',
    );
    const sent = await sendMessage(t.client, a.token, b.id, 'with an id');
    await eventually(() => expect(gql.results('messageCreated')).toHaveLength(1));
    await eventually(() => expect(gql.results('unreadCountsChanged')).toHaveLength(1));
    const { events } = await catchUp(t.client, b.token, start);
    expect(events.map((e) => e.message?.id)).toEqual([sent.id]);
    const eventId = events[0].id;
    expect(gql.results('messageCreated')).toEqual([{ id: sent.id, detail: 'with an id', eventId }]);
    const [counts] = gql.results<{ eventId: string }>('unreadCountsChanged');
    expect(BigInt(counts.eventId)).toBeGreaterThan(BigInt(eventId));

    await eventually(() =>
      expect(pusher.frames.filter((f) => f.includes('"MessageCreated"'))).toHaveLength(1),
    );
    const text = pusher.frames.find((f) => f.includes('"MessageCreated"')) as string;
    const frame = JSON.parse(text) as Record<string, unknown>;
    // The id goes after data; data is still the legacy payload, byte for byte.
    expect(Object.keys(frame)).toEqual(['event', 'channel', 'data', 'id']);
    expect(frame.id).toBe(eventId);
    const [row] = (await t.server.database.dataSource.query(
      'SELECT payload FROM event_outbox WHERE event_id = $1',
      [eventId],
    )) as { payload: string }[];
    expect(frame.data).toBe(row.payload);
    expect(text).toBe(
      JSON.stringify({
        event: 'MessageCreated',
        channel: messageChannel(b.id),
        data: row.payload,
        id: eventId,
      }),
    );
    // Frames that are not events of the log carry no id.
    expect(JSON.parse(pusher.frames[0])).not.toHaveProperty('id');
  } finally {
    pusher.close();
    await gql.close();
  }
});

it('queries leave eventId null: it belongs to deliveries', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  await sendMessage(t.client, a.token, b.id, 'queried');
  const { conversation } = await t.client.ok<{ conversation: { eventId: string | null }[] }>(
    'query C($other: ID!) { conversation(otherUserId: $other) { eventId } }',
    { other: a.id },
    b.token,
  );
  expect(conversation).toEqual([{ eventId: null }]);
});

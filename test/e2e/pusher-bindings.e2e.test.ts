import WebSocket from 'ws';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { messageChannel, PUSHER_KEY } from '../support/legacy-pusher-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

// Raw protocol frames, since pusher-js asks /broadcasting/auth again on every subscribe and so cannot replay one.
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
}

async function rawPusher() {
  const ws = new WebSocket(`ws://127.0.0.1:${t.server.port}/app/${PUSHER_KEY}?protocol=7`);
  const frames: Frame[] = [];
  const closes: number[] = [];
  ws.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as Frame));
  ws.on('close', (code) => closes.push(code));
  await eventually(() => expect(frames[0]?.event).toBe('pusher:connection_established'));
  const socketId = (JSON.parse(frames[0].data as string) as { socket_id: string }).socket_id;
  const send = (event: string, data: unknown) => ws.send(JSON.stringify({ event, data }));
  return { ws, frames, closes, socketId, send };
}

async function channelAuth(token: string, socketId: string, channel: string): Promise<string> {
  const response = await fetch(`${t.url}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ socket_id: socketId, channel_name: channel }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { auth: string }).auth;
}

const succeeded = (frames: Frame[], channel: string) =>
  frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel);

it('a channel unsubscribed and subscribed again with the same signature stays bound to its session', async () => {
  const user = await createUser(t.client);
  const sender = await createUser(t.client);
  const channel = messageChannel(user.id);
  const pusher = await rawPusher();
  try {
    const auth = await channelAuth(user.token, pusher.socketId, channel);
    pusher.send('pusher:subscribe', { channel, auth });
    await eventually(() => expect(succeeded(pusher.frames, channel)).toHaveLength(1));
    pusher.send('pusher:unsubscribe', { channel });
    pusher.send('pusher:subscribe', { channel, auth });
    await eventually(() => expect(succeeded(pusher.frames, channel)).toHaveLength(2));

    await t.client.ok('mutation { logout }', {}, user.token);
    await eventually(() => expect(pusher.closes).toEqual([4009]));
    await sendMessage(t.client, sender.token, user.id, 'after logout');
    await sleep(SETTLE_MS);
    expect(pusher.frames.filter((f) => f.event === 'MessageCreated')).toEqual([]);
  } finally {
    pusher.ws.close();
  }
});

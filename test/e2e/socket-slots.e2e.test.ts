import WebSocket from 'ws';
import { createUser } from '../fixtures/users';
import { messageChannel, PUSHER_KEY } from '../support/legacy-pusher-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

// Behind a trusted proxy on loopback, X-Forwarded-For names the client: each test address is its own client.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: {
      TRUST_PROXY: 'loopback',
      SOCKET_MAX_CONNECTIONS_PER_IP: '5',
      SOCKET_MAX_UNAUTHENTICATED_PER_IP: '2',
      SOCKET_MAX_CONNECTIONS: '9',
    },
  });
});
const opened: WebSocket[] = [];
afterEach(async () => {
  const closing = opened.splice(0).map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.terminate();
      }),
  );
  await Promise.all(closing);
  // The server frees a slot when it sees the close: wait until it has seen them all.
  await eventually(async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toContain('open_sockets{kind="pusher"} 0');
    expect(text).toContain('open_sockets{kind="graphql-ws"} 0');
  });
});
afterAll(() => t.close());

interface Opened {
  readonly socket: WebSocket;
  /** The first frame: Pusher's connection_established. */
  readonly first: Promise<{ event: string; data: string }>;
}

/** Opens a socket as the client at `ip`; resolves to it once open, or to the HTTP status of the refusal. */
function open(ip: string, path: string, protocol?: string): Promise<Opened | number> {
  const socket = new WebSocket(`${t.url.replace('http', 'ws')}${path}`, protocol, {
    headers: { 'x-forwarded-for': ip },
  });
  opened.push(socket);
  const first = new Promise<{ event: string; data: string }>((resolve) =>
    socket.once('message', (raw) => resolve(JSON.parse(raw.toString()))),
  );
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ socket, first }));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => resolve(-1));
  });
}

const pusher = (ip: string) => open(ip, `/app/${PUSHER_KEY}?protocol=7`);

function opens(result: Opened | number): Opened {
  if (typeof result === 'number') throw new Error(`refused with ${result}`);
  return result;
}

/** Subscribes a Pusher socket to the user's private channel, signed at /broadcasting/auth as pusher-js does. */
async function subscribeSigned(connection: Opened, user: { id: string; token: string }): Promise<void> {
  const established = await connection.first;
  const socketId = (JSON.parse(established.data) as { socket_id: string }).socket_id;
  const channel = messageChannel(user.id);
  const response = await fetch(`${t.url}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ socket_id: socketId, channel_name: channel }),
  });
  const { auth } = (await response.json()) as { auth: string };
  const succeeded = new Promise<void>((resolve) =>
    connection.socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { event: string; channel?: string };
      if (frame.event === 'pusher_internal:subscription_succeeded' && frame.channel === channel) resolve();
    }),
  );
  connection.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth } }));
  await succeeded;
}

/** Opens a graphql-ws socket and has its connection_init accepted. */
async function graphqlWs(ip: string, token: string): Promise<Opened | number> {
  const result = await open(ip, '/graphql', 'graphql-transport-ws');
  if (typeof result === 'number') return result;
  result.socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
  );
  const ack = (await result.first) as unknown as { type: string };
  expect(ack.type).toBe('connection_ack');
  return result;
}

it('counts anonymous Pusher sockets per client address behind the proxy, so one client cannot take every slot', async () => {
  expect(typeof (await pusher('10.20.0.1'))).toBe('object');
  expect(typeof (await pusher('10.20.0.1'))).toBe('object');
  // The third anonymous socket of one client is refused, while another client behind the same proxy opens its own.
  expect(await pusher('10.20.0.1')).toBe(429);
  expect(typeof (await pusher('10.20.0.2'))).toBe('object');
  expect(typeof (await pusher('10.20.0.2'))).toBe('object');
  expect(await pusher('10.20.0.2')).toBe(429);
});

it('gives sockets that hold a signed channel the larger per-client limit', async () => {
  const user = await createUser(t.client);
  const ip = '10.20.1.1';
  const first = opens(await pusher(ip));
  opens(await pusher(ip));
  expect(await pusher(ip)).toBe(429);
  // Once one holds a channel its session signed, it no longer takes an anonymous slot.
  await subscribeSigned(first, user);
  opens(await pusher(ip));
  expect(await pusher(ip)).toBe(429);
  // graphql-ws sockets are anonymous until connection_init is accepted, then count only against the larger limit.
  const other = '10.20.1.2';
  for (let i = 0; i < 5; i += 1) opens(await graphqlWs(other, user.token));
  expect(await graphqlWs(other, user.token)).toBe(429);
});

it('caps the sockets of one instance from all clients together', async () => {
  const results: (Opened | number)[] = [];
  for (let i = 0; i < 10; i += 1) results.push(await pusher(`10.20.2.${i}`));
  expect(results.slice(0, 9).every((result) => typeof result === 'object')).toBe(true);
  expect(results[9]).toBe(429);
});

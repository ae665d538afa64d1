import net from 'node:net';
import Pusher from 'pusher';
import WebSocket from 'ws';
import { createUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel, PUSHER_KEY } from '../support/legacy-pusher-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

let t: TestServer;
let wsBase: string;
const opened: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestServer({
    env: {
      PUSHER_MAX_CHANNELS: '3',
      GRAPHQL_WS_MAX_SUBSCRIPTIONS: '2',
      SOCKET_MAX_CONNECTIONS_PER_IP: '20',
      SOCKET_ACTIVITY_TIMEOUT: '2',
      SOCKET_PONG_TIMEOUT: '1',
      SOCKET_MAX_BUFFERED_BYTES: '65536',
    },
  });
  wsBase = t.url.replace('http://', 'ws://');
});
afterEach(() => {
  for (const socket of opened.splice(0)) socket.terminate();
});
afterAll(async () => {
  await t.close();
});

interface Frame {
  event: string;
  data: unknown;
  channel?: string;
}

/** A raw socket that records every frame and how it closed. */
function rawSocket(path: string, protocol?: string) {
  const socket = new WebSocket(`${wsBase}${path}`, protocol);
  opened.push(socket);
  const frames: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()));
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  return {
    socket,
    frames,
    closed,
    open: new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    /** The next frame after the `count` seen so far. */
    async frameAt(count: number): Promise<unknown> {
      while (frames.length <= count) await new Promise<void>((resolve) => waiters.push(resolve));
      return frames[count];
    },
  };
}

async function pusherSocket() {
  const client = rawSocket(`/app/${PUSHER_KEY}?protocol=7`);
  const established = (await client.frameAt(0)) as Frame;
  expect(established.event).toBe('pusher:connection_established');
  return client;
}

/** Sends an upgrade request on a bare TCP socket and returns the status line the server wrote. */
function rawUpgrade(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(t.server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

/** The server is still up: /healthz answers and a pusher-js client subscribes to its private channel. */
async function expectServerUp(): Promise<void> {
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  const user = await createUser(t.client);
  const client = new LegacyPusherClient({
    wsPort: t.server.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: user.token,
  });
  try {
    await client.subscribe(messageChannel(user.id));
  } finally {
    client.disconnect();
  }
}

describe('the Pusher endpoint read by a hostile client', () => {
  const badFrames: [string, string | Buffer][] = [
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"str"'],
    ['an array', '[]'],
    ['an empty object', '{}'],
    ['a numeric event', '{"event":5}'],
    ['not JSON', '{nope'],
    ['a binary frame', Buffer.from([1, 2, 3])],
  ];
  it.each(badFrames)('answers %s with pusher:error 4010 and stays up', async (_name, payload) => {
    const client = await pusherSocket();
    client.socket.send(payload);
    const answer = (await client.frameAt(1)) as Frame;
    expect(answer).toMatchObject({ event: 'pusher:error', data: { code: 4010 } });
    client.socket.send('{"event":"pusher:ping","data":{}}');
    expect(await client.frameAt(2)).toMatchObject({ event: 'pusher:pong' });
  });

  it.each([
    ['data a number', '{"event":"pusher:subscribe","data":5}'],
    ['data a JSON string of null', '{"event":"pusher:subscribe","data":"null"}'],
    ['data an array', '{"event":"pusher:subscribe","data":[1]}'],
    ['no channel', '{"event":"pusher:subscribe","data":{}}'],
  ])('refuses a subscribe with %s', async (_name, payload) => {
    const client = await pusherSocket();
    client.socket.send(payload);
    expect(await client.frameAt(1)).toMatchObject({ event: 'pusher:error', data: { code: 4010 } });
  });

  it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const client = await pusherSocket();
    // A text frame (opcode 1) whose payload is not UTF-8, written below the ws API.
    const socket = (client.socket as unknown as { _socket: net.Socket })._socket;
    socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    expect(await client.closed).toBe(1007);
    await expectServerUp();
  });

  it('closes with 1009 on a frame over the 100 KB payload limit, before reading it', async () => {
    const client = await pusherSocket();
    client.socket.send(JSON.stringify({ event: 'pusher:ping', data: 'x'.repeat(101 * 1024) }));
    expect(await client.closed).toBe(1009);
  });

  it('refuses channel names over 200 characters or with characters Pusher does not allow, and more than the channels a connection may hold', async () => {
    const client = await pusherSocket();
    client.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'c'.repeat(201) } }));
    expect(await client.frameAt(1)).toMatchObject({
      event: 'pusher:subscription_error',
      channel: 'c'.repeat(201),
      data: { status: 400 },
    });
    // Characters Pusher does not allow in a name.
    client.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: '__proto__ #' } }));
    expect(await client.frameAt(2)).toMatchObject({
      event: 'pusher:subscription_error',
      channel: '__proto__ #',
      data: { status: 400 },
    });
    for (const [index, name] of ['one', 'two', 'three'].entries()) {
      client.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: name } }));
      expect(await client.frameAt(3 + index)).toMatchObject({
        event: 'pusher_internal:subscription_succeeded',
        channel: name,
      });
    }
    client.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'four' } }));
    expect(await client.frameAt(6)).toMatchObject({
      event: 'pusher:subscription_error',
      channel: 'four',
      data: { status: 4100 },
    });
  });

  it('counts private subscribes still being checked against the channel cap, so frames sent together cannot pass it', async () => {
    const client = await pusherSocket();
    const socketId = (JSON.parse((client.frames[0] as Frame).data as string) as { socket_id: string })
      .socket_id;
    // Signed with the app secret, as a backend using this endpoint as its Pusher service signs: such a subscribe
    // waits for a binding /broadcasting/auth never announces, so all six are being checked at once.
    const signer = new Pusher({ appId: 'app-id', key: PUSHER_KEY, secret: 'app-secret', host: '127.0.0.1' });
    const channels = [1, 2, 3, 4, 5, 6].map((n) => `private-raced-${n}`);
    for (const channel of channels) {
      client.socket.send(
        JSON.stringify({
          event: 'pusher:subscribe',
          data: { channel, auth: signer.authorizeChannel(socketId, channel).auth },
        }),
      );
    }
    await client.frameAt(6);
    const answers = client.frames.slice(1) as Frame[];
    const succeeded = answers.filter((f) => f.event === 'pusher_internal:subscription_succeeded');
    const refused = answers.filter(
      (f) => f.event === 'pusher:subscription_error' && (f.data as { status?: number }).status === 4100,
    );
    expect(succeeded).toHaveLength(3);
    expect(refused).toHaveLength(3);
  });

  it('announces the activity timeout, pings a silent client and closes it 4201 when no pong comes', async () => {
    const silent = await pusherSocket();
    expect(JSON.parse((silent.frames[0] as { data: string }).data)).toMatchObject({ activity_timeout: 2 });
    const answering = await pusherSocket();
    expect(await silent.frameAt(1)).toMatchObject({ event: 'pusher:ping' });
    expect(await answering.frameAt(1)).toMatchObject({ event: 'pusher:ping' });
    answering.socket.send('{"event":"pusher:pong","data":{}}');
    expect(await silent.closed).toBe(4201);
    // Still open after the grace period, so it is pinged again.
    expect(await answering.frameAt(2)).toMatchObject({ event: 'pusher:ping' });
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('a client that does not read', () => {
  it('is dropped once what waits for it passes the buffer limit, instead of being buffered for', async () => {
    const client = await pusherSocket();
    client.socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'flood' } }));
    expect(await client.frameAt(1)).toMatchObject({ event: 'pusher_internal:subscription_succeeded' });
    // Stop reading: the kernel buffers fill, then the server's own send buffer grows.
    client.socket.pause();
    const sdk = new Pusher({
      appId: 'app-id',
      key: PUSHER_KEY,
      secret: 'app-secret',
      host: '127.0.0.1',
      port: String(t.server.port),
      useTLS: false,
    });
    const batch = Array.from({ length: 10 }, () => ({
      channel: 'flood',
      name: 'Big',
      data: 'x'.repeat(9000),
    }));
    // About 27 MB: far more than the loopback buffers hold (a few MB), so most of it waits in the server.
    for (let i = 0; i < 300; i += 1) await sdk.triggerBatch(batch);
    client.socket.resume();
    // Terminated by the server, with no close frame: 1006 on the client.
    expect(await client.closed).toBe(1006);
    await expectServerUp();
  }, 60_000);
});

describe('upgrades a hostile client sends', () => {
  it('answers a bad key encoding with pusher:error 4001', async () => {
    const client = rawSocket('/app/%ZZ?protocol=7');
    expect(await client.frameAt(0)).toMatchObject({ event: 'pusher:error', data: { code: 4001 } });
    expect(await client.closed).toBe(4001);
  });

  it.each([
    ['a wrong key', '/app/nope?protocol=7', 4001],
    ['a non-numeric protocol', `/app/${PUSHER_KEY}?protocol=abc`, 4007],
  ])('answers %s with pusher:error', async (_name, path, code) => {
    const client = rawSocket(path);
    expect(await client.frameAt(0)).toMatchObject({ event: 'pusher:error', data: { code } });
    expect(await client.closed).toBe(code);
  });

  it.each([
    ['//[', '400'],
    ['//', '400'],
    ['*', '400'],
    ['/nowhere', '404'],
  ])('writes an HTTP status for %s', async (target, status) => {
    expect(await rawUpgrade(target)).toContain(` ${status} `);
    await expectServerUp();
  });

  it('refuses sockets past the limit per client address with HTTP 429, and takes them again once closed', async () => {
    const statuses: string[] = [];
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 21; i += 1) {
      const socket = new WebSocket(`${wsBase}/app/${PUSHER_KEY}?protocol=7`);
      opened.push(socket);
      sockets.push(socket);
      statuses.push(
        await new Promise<string>((resolve) => {
          socket.once('open', () => resolve('open'));
          socket.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
          socket.once('error', () => resolve('error'));
        }),
      );
    }
    expect(statuses).toContain('429');
    expect(statuses.filter((s) => s !== 'open' && s !== '429')).toEqual([]);
    const refusedAt = statuses.indexOf('429');
    expect(statuses.slice(refusedAt).every((s) => s === '429')).toBe(true);
    for (const socket of sockets) socket.terminate();
    const again = await (async () => {
      for (;;) {
        const client = rawSocket(`/app/${PUSHER_KEY}?protocol=7`);
        try {
          await client.open;
          return client;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();
    expect(await again.frameAt(0)).toMatchObject({ event: 'pusher:connection_established' });
  });
});

describe('graphql-ws read by a hostile client', () => {
  const PROTOCOL = 'graphql-transport-ws';

  it.each([
    ['null', 'null', 4400],
    ['a number', '42', 4400],
    ['an unknown type', '{"type":"hello"}', 4400],
    ['a subscribe before connection_init', '{"type":"subscribe","id":"1","payload":{"query":"{ a }"}}', 4401],
  ])('closes on %s', async (_name, payload, code) => {
    const client = rawSocket('/graphql', PROTOCOL);
    await client.open;
    client.socket.send(payload);
    expect(await client.closed).toBe(code);
    await expectServerUp();
  });

  it('closes 4408 a socket that sends no connection_init within 3 s, and not one that did', async () => {
    const user = await createUser(t.client);
    const silent = rawSocket('/graphql', PROTOCOL);
    const initialised = rawSocket('/graphql', PROTOCOL);
    await Promise.all([silent.open, initialised.open]);
    const openedAt = Date.now();
    initialised.socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }),
    );
    expect(await initialised.frameAt(0)).toMatchObject({ type: 'connection_ack' });
    expect(await silent.closed).toBe(4408);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(2900);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(initialised.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('pings every socket and drops one that does not answer', async () => {
    const user = await createUser(t.client);
    const mute = new WebSocket(`${wsBase}/graphql`, PROTOCOL, { autoPong: false });
    const answering = new WebSocket(`${wsBase}/graphql`, PROTOCOL);
    opened.push(mute, answering);
    // Both authenticate, so graphql-ws's own wait for connection_init closes neither.
    const init = JSON.stringify({
      type: 'connection_init',
      payload: { authorization: `Bearer ${user.token}` },
    });
    for (const socket of [mute, answering]) socket.on('open', () => socket.send(init));
    const acked = (socket: WebSocket) =>
      new Promise<void>((resolve) => socket.once('message', () => resolve()));
    await Promise.all([acked(mute), acked(answering)]);
    let answeringPings = 0;
    answering.on('ping', () => (answeringPings += 1));
    const muteClosed = new Promise<number>((resolve) => mute.on('close', (code) => resolve(code)));
    const mutePinged = new Promise<void>((resolve) => mute.once('ping', () => resolve()));
    await mutePinged;
    // Terminated without a close frame: 1006 on the client.
    expect(await muteClosed).toBe(1006);
    await eventually(() => expect(answeringPings).toBeGreaterThanOrEqual(2));
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });

  it('closes with 1009 on a frame over 1 MB, before it is parsed', async () => {
    const client = rawSocket('/graphql', PROTOCOL);
    await client.open;
    client.socket.send(
      JSON.stringify({ type: 'connection_init', payload: { junk: 'x'.repeat(1024 * 1024) } }),
    );
    expect(await client.closed).toBe(1009);
  });

  it('closes 4409 on a duplicate id and refuses subscriptions past the limit without closing', async () => {
    const user = await createUser(t.client);
    const client = rawSocket('/graphql', PROTOCOL);
    await client.open;
    client.socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }),
    );
    expect(await client.frameAt(0)).toMatchObject({ type: 'connection_ack' });
    const subscribe = (id: string) =>
      client.socket.send(
        JSON.stringify({
          type: 'subscribe',
          id,
          payload: { query: 'subscription { messageCreated { id } }' },
        }),
      );
    subscribe('1');
    subscribe('2');
    subscribe('3');
    expect(await client.frameAt(1)).toMatchObject({
      type: 'error',
      id: '3',
      payload: [
        { message: 'A socket holds at most 2 subscriptions at once.', extensions: { code: 'FORBIDDEN' } },
      ],
    });
    client.socket.send('{"type":"ping"}');
    expect(await client.frameAt(2)).toMatchObject({ type: 'pong' });
    subscribe('1');
    expect(await client.closed).toBe(4409);
    await expectServerUp();
  });
});

describe('HTTP bodies a hostile client sends', () => {
  it('answers malformed /graphql and /broadcasting/auth bodies with a JSON 4xx, not an HTML error page', async () => {
    const cases: { path: string; headers: Record<string, string>; body: string; status: number }[] = [
      { path: '/graphql', headers: { 'content-type': 'application/json' }, body: '{', status: 400 },
      {
        path: '/graphql',
        headers: { 'content-type': 'application/json; charset=utf-7' },
        body: '{}',
        status: 400,
      },
      {
        path: '/graphql',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: 'not gzip',
        status: 400,
      },
      {
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: `{"query":"${'x'.repeat(2 * 1024 * 1024)}"}`,
        status: 413,
      },
      {
        path: '/broadcasting/auth',
        headers: { 'content-type': 'application/json' },
        body: '{',
        status: 400,
      },
    ];
    for (const { path, headers, body, status } of cases) {
      const response = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
      expect({ path, status: response.status }).toEqual({ path, status });
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const answer = (await response.json()) as { errors?: { extensions: { code: string } }[] };
      if (path === '/graphql') expect(answer.errors?.[0]?.extensions.code).toBe('BAD_REQUEST');
    }
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('answers signed events API bodies that are JSON but not objects with 400', async () => {
    const pusher = new Pusher({
      appId: 'app-id',
      key: PUSHER_KEY,
      secret: 'app-secret',
      host: '127.0.0.1',
      port: String(t.server.port),
      useTLS: false,
    });
    for (const path of ['/apps/app-id/events', '/apps/app-id/batch_events']) {
      for (const body of ['null', '[]', '5', '"text"']) {
        // The SDK rejects any answer but 2xx; the refusal carries the status.
        const status = await pusher
          .post({ path: path.replace('/apps/app-id', ''), body: JSON.parse(body) })
          .then(
            (response) => response.status,
            (error: unknown) => (error instanceof Pusher.RequestError ? error.status : 0),
          );
        expect({ path, body, status }).toEqual({ path, body, status: 400 });
      }
    }
  });
});

import { randomUUID } from 'node:crypto';
// @ts-expect-error -- laravel-echo's types are ESM-only; Jest loads its CommonJS build, which this import compiles to.
import Echo from 'laravel-echo';
import Pusher from 'pusher';
import PusherJs from 'pusher-js';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel, PUSHER_KEY } from '../support/legacy-pusher-client';
import { presenceChannel } from '../support/presence';
import { SHARED_DATABASE_URL, SHARED_REDIS_URL, sharedServicesAvailable } from '../support/shared-services';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

const shared = { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: SHARED_REDIS_URL };

let available = false;
let first: TestServer;
let second: TestServer;
beforeAll(async () => {
  available = await sharedServicesAvailable();
  if (!available) return;
  first = await startTestServer({ env: shared });
  second = await startTestServer({ env: shared, keepDatabase: true });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

const sdk = (server: TestServer) =>
  new Pusher({
    appId: 'app-id',
    key: PUSHER_KEY,
    secret: 'app-secret',
    host: '127.0.0.1',
    port: String(server.server.port),
    useTLS: false,
  });

const closing: (() => void)[] = [];
afterEach(() => {
  for (const close of closing.splice(0)) close();
});

const legacy = (server: TestServer, user: TestUser) => {
  const client = new LegacyPusherClient({
    wsPort: server.server.port,
    authUrl: `${server.url}/broadcasting/auth`,
    token: user.token,
  });
  closing.push(() => client.disconnect());
  return client;
};

/** pusher-js as an app that signs its users in configures it: user authentication at /broadcasting/user-auth. */
const signingIn = (server: TestServer, user: TestUser) => {
  const pusher = new PusherJs(PUSHER_KEY, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: server.server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      endpoint: `${server.url}/broadcasting/auth`,
      transport: 'ajax',
      headers: { Authorization: `Bearer ${user.token}` },
    },
    userAuthentication: {
      endpoint: `${server.url}/broadcasting/user-auth`,
      transport: 'ajax',
      headers: { Authorization: `Bearer ${user.token}` },
    },
  });
  closing.push(() => pusher.disconnect());
  return pusher;
};

/** Laravel Echo with the pusher broadcaster, as the legacy web app sets it up. */
const echo = (server: TestServer, user: TestUser) => {
  const client = new Echo({
    broadcaster: 'pusher',
    // Echo's option type names pusher-js's ESM namespace; the class is what it uses.
    Pusher: PusherJs as never,
    key: PUSHER_KEY,
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: server.server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    authEndpoint: `${server.url}/broadcasting/auth`,
    auth: { headers: { Authorization: `Bearer ${user.token}` } },
  });
  closing.push(() => client.disconnect());
  return client;
};

async function pair(): Promise<[TestUser, TestUser]> {
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  await sendMessage(first.client, a.token, b.id, 'hello');
  await sendMessage(first.client, b.token, a.id, 'hello back');
  return [a, b];
}

/** Signs in, resolving once the server answered pusher:signin_success. */
const signedIn = (pusher: PusherJs) =>
  new Promise<void>((resolve, reject) => {
    pusher.user.bind('pusher:signin_error', (error: unknown) => reject(new Error(JSON.stringify(error))));
    pusher.connection.bind('message', (message: { event: string }) => {
      if (message.event === 'pusher:signin_success') resolve();
    });
    pusher.signin();
  });

describe('subscription errors', () => {
  it('name a refused channel, so pusher-js reports it on that channel', async () => {
    if (!available) return;
    const [a] = await pair();
    const client = legacy(first, a);
    const tooLong = await client.subscribe(`c${'x'.repeat(200)}`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(tooLong).toMatchObject({ status: 400 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.subscribe(`room-${a.id}-${i}`)));
    const overCap = await client.subscribe(`room-${a.id}-100`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(overCap).toMatchObject({ type: 'LimitReached', status: 4100 });
    expect(client.pusher.connection.state).toBe('connected');
  });
});

describe('client events', () => {
  it("Echo's whisper reaches the members allowed to see the sender, on both instances, never the sender", async () => {
    if (!available) return;
    const [a, b] = await pair();
    // b has written to c, a has not: c may watch b's channel, but a's whispers are not for c.
    const c = await createUser(first.client);
    await sendMessage(first.client, b.token, c.id, 'hi c');
    // c's unanswered message to a does not let c see a's presence, nor hear a's whispers.
    await sendMessage(first.client, c.token, a.id, 'hi a');
    const heard: Record<string, unknown[]> = { a: [], b: [], c: [] };
    const joined = (name: string, client: Echo<'pusher'>) =>
      new Promise<void>((resolve) =>
        client
          .join(`Chat.User.${b.id}`)
          .here(() => resolve())
          .listenForWhisper('typing', (data: unknown) => heard[name].push(data)),
      );
    const echoes = { a: echo(first, a), b: echo(second, b), c: echo(first, c) };
    await Promise.all(Object.entries(echoes).map(([name, client]) => joined(name, client)));
    const userIds: unknown[] = [];
    echoes.b.connector.pusher
      .channel(presenceChannel(b.id))
      .bind('client-typing', (_data: unknown, metadata: { user_id?: string }) =>
        userIds.push(metadata?.user_id),
      );

    echoes.a.join(`Chat.User.${b.id}`).whisper('typing', { name: 'a' });
    await eventually(() => expect(heard.b).toEqual([{ name: 'a' }]));
    expect(userIds).toEqual([a.id]);
    echoes.b.join(`Chat.User.${b.id}`).whisper('typing', { name: 'b' });
    await eventually(() => expect([heard.a, heard.c]).toEqual([[{ name: 'b' }], [{ name: 'b' }]]));
    await sleep(SETTLE_MS);
    expect(heard).toEqual({ a: [{ name: 'b' }], b: [{ name: 'a' }], c: [{ name: 'b' }] });
  });

  it('are refused on public channels, unjoined channels, over 10 KB and past 10 per second', async () => {
    if (!available) return;
    const [a] = await pair();
    const sender = legacy(first, a);
    const listener = legacy(second, a);
    const errors: { code: number | null; message: string }[] = [];
    sender.pusher.connection.bind('error', (error: { data?: { code: number | null; message: string } }) => {
      if (error.data) errors.push(error.data);
    });
    const own = messageChannel(a.id);
    await sender.subscribe(`public-${a.id}`);
    const channel = await sender.subscribe(own);
    await listener.subscribe(own);
    const got: unknown[] = [];
    listener.pusher.channel(own).bind('client-ping', (data: unknown) => got.push(data));

    sender.pusher.send_event('client-ping', { n: 'public' }, `public-${a.id}`);
    sender.pusher.send_event('client-ping', { n: 'unjoined' }, `private-other-${a.id}`);
    channel.trigger('client-ping', { n: 'x'.repeat(10 * 1024) });
    await eventually(() => expect(errors).toHaveLength(3));
    expect(errors.map((error) => error.code)).toEqual([null, null, null]);
    for (let n = 0; n < 15; n += 1) channel.trigger('client-ping', { n });
    await eventually(() => expect(got).toHaveLength(10));
    await eventually(() => expect(errors.filter((error) => error.code === 4301)).toHaveLength(5));
    expect(got).toEqual(Array.from({ length: 10 }, (_, n) => ({ n })));
  });

  it('relay text data that is not JSON as sent, and refuse it over 10 KB', async () => {
    if (!available) return;
    const [a] = await pair();
    const sender = legacy(first, a);
    const listener = legacy(second, a);
    const errors: { code: number | null; message: string }[] = [];
    sender.pusher.connection.bind('error', (error: { data?: { code: number | null; message: string } }) => {
      if (error.data) errors.push(error.data);
    });
    const own = messageChannel(a.id);
    const channel = await sender.subscribe(own);
    await listener.subscribe(own);
    const got: unknown[] = [];
    listener.pusher.channel(own).bind('client-ping', (data: unknown) => got.push(data));

    channel.trigger('client-ping', 'x'.repeat(10 * 1024 + 1));
    await eventually(() =>
      expect(errors).toEqual([expect.objectContaining({ message: expect.stringContaining('10 KB') })]),
    );
    channel.trigger('client-ping', 'plain text, not JSON {');
    channel.trigger('client-ping', '"a JSON string"');
    await eventually(() => expect(got).toEqual(['plain text, not JSON {', 'a JSON string']));
    await sleep(SETTLE_MS);
    expect(got).toHaveLength(2);
  });

  it('are refused everywhere with PUSHER_CLIENT_EVENTS=false', async () => {
    if (!available) return;
    const off = await startTestServer({
      env: { ...shared, PUSHER_CLIENT_EVENTS: 'false' },
      keepDatabase: true,
    });
    try {
      const [a] = await pair();
      const sender = legacy(off, a);
      const listener = legacy(off, a);
      const errors: unknown[] = [];
      sender.pusher.connection.bind('error', (error: { data?: unknown }) => errors.push(error.data));
      const channel = await sender.subscribe(messageChannel(a.id));
      await listener.subscribe(messageChannel(a.id));
      const got: unknown[] = [];
      listener.pusher.channel(messageChannel(a.id)).bind('client-ping', (data: unknown) => got.push(data));
      channel.trigger('client-ping', {});
      await eventually(() => expect(errors).toEqual([expect.objectContaining({ code: null })]));
      await sleep(SETTLE_MS);
      expect(got).toEqual([]);
    } finally {
      await off.close();
    }
  });
});

describe('user authentication', () => {
  it('signs in through /broadcasting/user-auth, gets sendToUser from either instance, and is terminated anywhere', async () => {
    if (!available) return;
    const [a, b] = await pair();
    const pusher = signingIn(second, a);
    const got: unknown[] = [];
    pusher.user.bind('Notice', (data: unknown) => got.push(data));
    await signedIn(pusher);
    expect(pusher.user.user_data).toMatchObject({ id: a.id });
    await eventually(async () => {
      await sdk(first).sendToUser(a.id, 'Notice', { hello: 'a' });
      expect(got.length).toBeGreaterThan(0);
    });
    expect(got[0]).toEqual({ hello: 'a' });
    // Not to anyone else.
    const other = signingIn(first, b);
    const otherGot: unknown[] = [];
    other.user.bind('Notice', (data: unknown) => otherGot.push(data));
    await signedIn(other);
    await sdk(first).sendToUser(a.id, 'Notice', { again: 'a' });
    await eventually(() => expect(got).toHaveLength(2));
    expect(otherGot).toEqual([]);

    const closed = new Promise<number | undefined>((resolve) =>
      pusher.connection.bind('error', (error: { data?: { code?: number } }) => resolve(error.data?.code)),
    );
    await sdk(first).terminateUserConnections(a.id);
    expect(await closed).toBe(4009);
    expect(other.connection.state).toBe('connected');
  });

  it('a forged signin is refused, and a signed-in connection ends with its session', async () => {
    if (!available) return;
    const [a] = await pair();
    const pusher = signingIn(first, a);
    await signedIn(pusher);
    const forged = legacy(first, a);
    await eventually(() => expect(forged.pusher.connection.state).toBe('connected'));
    const errors: unknown[] = [];
    forged.pusher.connection.bind('error', (error: { data?: unknown }) => errors.push(error.data));
    forged.pusher.send_event('pusher:signin', {
      auth: 'app-key:forged',
      user_data: JSON.stringify({ id: a.id }),
    });
    await eventually(() => expect(errors).toEqual([expect.objectContaining({ code: 4009 })]));
    // pusher-js itself subscribes to this channel only after a signin, so the frame is sent by hand.
    const answers: { event: string; channel?: string; data?: unknown }[] = [];
    forged.pusher.connection.bind('message', (message: (typeof answers)[number]) => answers.push(message));
    forged.pusher.send_event('pusher:subscribe', { channel: `#server-to-user-${a.id}` });
    await eventually(() =>
      expect(answers).toContainEqual({
        event: 'pusher:subscription_error',
        channel: `#server-to-user-${a.id}`,
        data: expect.objectContaining({ status: 403 }),
      }),
    );

    const closed = new Promise<number | undefined>((resolve) =>
      pusher.connection.bind('error', (error: { data?: { code?: number } }) => resolve(error.data?.code)),
    );
    await first.client.ok('mutation { logout }', {}, a.token);
    expect(await closed).toBe(4009);
  });
});

describe('cache channels', () => {
  it('replay the last event to a new subscriber on the other instance, or answer pusher:cache_miss', async () => {
    if (!available) return;
    const [a, b] = await pair();
    // Unique across runs: the last event outlives a run in Redis, whose ids start again at 1.
    const name = `cache-news-${a.id}-${randomUUID()}`;
    const missed: string[] = [];
    const early = legacy(first, a);
    const channel = early.pusher.subscribe(name);
    channel.bind('pusher:cache_miss', () => missed.push(name));
    await eventually(() => expect(missed).toEqual([name]));

    await sdk(first).trigger(name, 'Headline', { n: 1 });
    await sdk(first).trigger(name, 'Headline', { n: 2 });
    const late = legacy(second, b);
    const replayed: unknown[] = [];
    late.pusher.subscribe(name).bind('Headline', (data: unknown) => replayed.push(data));
    await eventually(() => expect(replayed).toEqual([{ n: 2 }]));

    // A private cache channel: its owner's own channel names are the only private ones signed here, so the
    // replay is checked on a presence cache channel name the server does not sign: refused, as it must be.
    const refused = await late.subscribe(`presence-cache-${b.id}`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ status: 403 });
  });
});

describe('encrypted channels (pusher-js with nacl)', () => {
  it('relay what the SDK sealed for a client that decrypts it, on the other instance, and refuse client events there', async () => {
    if (!available) return;
    const [a] = await pair();
    const masterKey = Buffer.alloc(32, 7).toString('base64');
    const sealing = (server: TestServer) =>
      new Pusher({
        appId: 'app-id',
        key: PUSHER_KEY,
        secret: 'app-secret',
        host: '127.0.0.1',
        port: String(server.server.port),
        useTLS: false,
        encryptionMasterKeyBase64: masterKey,
      });
    // The app's own backend signs encrypted channels (with the shared secret); this server's signs none.
    const signer = sealing(first);
    const pusher = new PusherJs(PUSHER_KEY, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: second.server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) =>
          callback(null, signer.authorizeChannel(socketId, channelName) as { auth: string }),
      },
    });
    closing.push(() => pusher.disconnect());
    const name = `private-encrypted-secrets-${a.id}-${randomUUID()}`;
    const channel = pusher.subscribe(name);
    await new Promise<void>((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', () => resolve());
      channel.bind('pusher:subscription_error', (error: unknown) => reject(new Error(JSON.stringify(error))));
    });
    const got: unknown[] = [];
    channel.bind('Secret', (data: unknown) => got.push(data));
    await sealing(first).trigger(name, 'Secret', { n: 1 });
    await eventually(() => expect(got).toEqual([{ n: 1 }]));

    const errors: { message?: string }[] = [];
    pusher.connection.bind('error', (error: { data?: { message?: string } }) =>
      errors.push(error.data ?? {}),
    );
    // pusher-js itself will not send one there, so the frame goes out by hand, as another client could send it.
    expect(() => channel.trigger('client-peek', {})).toThrow();
    pusher.send_event('client-peek', {}, name);
    await eventually(() => expect(errors).toEqual([expect.objectContaining({ code: null })]));
    expect(errors[0].message).toContain('encrypted');
  });
});

import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { TYPING } from '../support/presence';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

interface Apollo {
  readonly client: ApolloClient;
  readonly cache: InMemoryCache;
  readonly ws: Client;
}

/** Apollo Client 4 as its documentation sets it up: HTTP and graphql-ws, a default InMemoryCache. */
function apollo(user: TestUser): Apollo {
  const headers = { authorization: `Bearer ${user.token}` };
  const ws = createClient({
    url: `${t.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: headers,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(ws),
    new HttpLink({ uri: `${t.url}/graphql`, headers }),
  );
  const cache = new InMemoryCache();
  return { client: new ApolloClient({ link, cache }), cache, ws };
}

const closing: Apollo[] = [];
const open = (user: TestUser) => {
  const client = apollo(user);
  closing.push(client);
  return client;
};
afterEach(async () => {
  for (const { client, ws } of closing.splice(0)) {
    client.stop();
    await ws.dispose();
  }
});

const connected = (ws: Client) => new Promise<void>((resolve) => ws.on('connected', () => resolve()));

it('one NOT_FOUND among message, notification and user leaves the other fields their data', async () => {
  const a = await createUser(t.client);
  const { client } = open(a);
  const result = await client.query({
    query: gql`
      query Mixed($missing: ID!) {
        me {
          id
        }
        message(id: $missing) {
          id
        }
        notification(id: $missing) {
          id
        }
        user(id: $missing) {
          id
        }
      }
    `,
    variables: { missing: '999999999' },
    errorPolicy: 'all',
  });
  expect(result.data).toEqual({
    me: { __typename: 'User', id: a.id },
    message: null,
    notification: null,
    user: null,
  });
  const errors =
    (result.error as { errors?: { path: string[]; extensions: { code: string } }[] }).errors ?? [];
  expect(errors.map((error) => [error.path[0], error.extensions.code]).sort()).toEqual([
    ['message', 'NOT_FOUND'],
    ['notification', 'NOT_FOUND'],
    ['user', 'NOT_FOUND'],
  ]);
});

it('normalizes the badge, the chat list, presence and typing with no type policies', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  // b wrote first, so a may type to b; a's reply lets b see a's presence.
  await sendMessage(t.client, b.token, a.id, 'hi');
  await sendMessage(t.client, a.token, b.id, 'hello');
  const { client, cache, ws } = open(b);
  const ready = connected(ws);
  const result = await client.query({
    query: gql`
      query Cached($ids: [ID!]!) {
        unreadCounts {
          id
          unseenMessages
        }
        conversations {
          id
          unseenCount
          lastMessage {
            id
          }
        }
        presence(userIds: $ids) {
          id
          online
        }
      }
    `,
    variables: { ids: [a.id] },
  });
  expect(result.error).toBeUndefined();
  const typing: { typing: boolean }[] = [];
  const subscription = client
    .subscribe<{ typingChanged: { typing: boolean } }>({
      query: gql`
        subscription {
          typingChanged {
            id
            userId
            typing
          }
        }
      `,
    })
    .subscribe({ next: ({ data }) => data && typing.push(data.typingChanged) });
  await ready;
  await eventually(async () => {
    await t.client.ok(TYPING, { to: b.id }, a.token);
    expect(typing.length).toBeGreaterThan(0);
  });
  subscription.unsubscribe();

  const stored = cache.extract() as Record<string, unknown>;
  expect(stored[`UnreadCounts:${b.id}`]).toMatchObject({ id: b.id, unseenMessages: 1 });
  expect(stored[`ConversationSummary:${b.id}:${a.id}`]).toMatchObject({ unseenCount: 1 });
  expect(stored[`UserPresence:${a.id}`]).toMatchObject({ online: false });
  expect(stored[`TypingIndicator:${a.id}:${b.id}`]).toMatchObject({ userId: a.id, typing: true });
  expect(cache.identify({ __typename: 'ConversationSummary', id: `${b.id}:${a.id}` })).toBe(
    `ConversationSummary:${b.id}:${a.id}`,
  );
});

it("the sender's cached chat list entry follows sendMessage, and Message.conversation is the viewer's own", async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  await sendMessage(t.client, b.token, a.id, 'from b');
  const { client, cache } = open(a);
  const entry = gql`
    fragment E on ConversationSummary {
      id
      unseenCount
      lastMessage {
        id
        detail
      }
    }
  `;
  await client.query({
    query: gql`
      {
        conversations {
          ...E
        }
      }
      ${entry}
    `,
  });
  await client.mutate({
    mutation: gql`
      mutation Send($to: ID!) {
        sendMessage(receiverId: $to, detail: "from a") {
          id
          conversation {
            ...E
          }
        }
      }
      ${entry}
    `,
    variables: { to: b.id },
  });
  const list = cache.readQuery<{
    conversations: { id: string; unseenCount: number; lastMessage: { detail: string } }[];
  }>({
    query: gql`
      {
        conversations {
          ...E
        }
      }
      ${entry}
    `,
  });
  expect(list?.conversations).toEqual([
    expect.objectContaining({
      id: `${a.id}:${b.id}`,
      unseenCount: 1,
      lastMessage: expect.objectContaining({ detail: 'from a' }),
    }),
  ]);
});

// Apollo Client 4 with its default InMemoryCache and no type policies: the unread badge and the chat list are
// watched queries, kept current by the subscriptions and the mutation alone (every cached object has an id).
// It answers each message it receives, and its chat list shows the answer as the last message.
// Run: node examples/apollo-client.mjs   (env: API_URL, EMAIL, PASSWORD)
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { API_URL, countEvents, login } from './login.mjs';

const { token, name } = await login();
const headers = { authorization: `Bearer ${token}` };
const ws = createClient({
  url: `${API_URL.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: headers,
});
const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  },
  new GraphQLWsLink(ws),
  new HttpLink({ uri: `${API_URL}/graphql`, headers }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

const COUNTS = gql`
  fragment Counts on UnreadCounts {
    id
    unseenMessages
    unseenConversations
  }
`;
const ENTRY = gql`
  fragment Entry on ConversationSummary {
    id
    unseenCount
    lastMessage {
      id
      detail
    }
  }
`;
const BADGE = gql`
  query Badge {
    unreadCounts {
      ...Counts
    }
  }
  ${COUNTS}
`;
const CHATS = gql`
  query Chats {
    conversations {
      ...Entry
      otherUser {
        id
        name
      }
    }
  }
  ${ENTRY}
`;

const subscriptions = [];
const stop = () => {
  for (const subscription of subscriptions) subscription.unsubscribe();
  client.stop();
  void ws.dispose();
};
// Not from inside a watcher's callback: Apollo tears a query down only once its notification is over.
const answered = countEvents(() => setTimeout(stop));
const replies = new Set();

// The subscriptions write into the cache; nothing here reads their results.
subscriptions.push(
  client
    .subscribe({
      query: gql`
        subscription {
          unreadCountsChanged {
            ...Counts
          }
        }
        ${COUNTS}
      `,
    })
    .subscribe({ error: (error) => console.error('unreadCountsChanged failed:', error) }),
  client
    .subscribe({
      query: gql`
        subscription {
          messageCreated {
            id
            detail
            sender {
              id
            }
            conversation {
              ...Entry
            }
          }
        }
        ${ENTRY}
      `,
    })
    .subscribe({
      next: ({ data }) => {
        const message = data.messageCreated;
        const detail = `Re: ${message.detail}`;
        replies.add(detail);
        // Its answer, conversation included, replaces the cached chat list entry of the pair.
        void client.mutate({
          mutation: gql`
            mutation Reply($to: ID!, $detail: String!) {
              sendMessage(receiverId: $to, detail: $detail) {
                id
                detail
                conversation {
                  ...Entry
                }
              }
            }
            ${ENTRY}
          `,
          variables: { to: message.sender.id, detail },
        });
      },
      error: (error) => console.error('messageCreated failed:', error),
    }),
);

// Listening once the socket is up and both queries have their first answer.
const waiting = new Set(['socket', 'badge', 'chats']);
const started = (part) => {
  if (waiting.delete(part) && waiting.size === 0) console.log(`listening as ${name}`);
};
ws.on('connected', () => started('socket'));
subscriptions.push(
  client.watchQuery({ query: BADGE }).subscribe(({ data }) => {
    if (!data?.unreadCounts) return;
    const counts = data.unreadCounts;
    console.log(`badge: ${counts.unseenMessages} unseen messages from ${counts.unseenConversations} people`);
    started('badge');
  }),
  client.watchQuery({ query: CHATS }).subscribe(({ data }) => {
    if (!data?.conversations) return;
    const list = data.conversations.map(
      (entry) => `${entry.otherUser.name}: "${entry.lastMessage.detail}" (${entry.unseenCount} unseen)`,
    );
    console.log(`chats: ${list.join(', ')}`);
    started('chats');
    const last = data.conversations.find((entry) => replies.delete(entry.lastMessage.detail));
    if (last) answered();
  }),
);

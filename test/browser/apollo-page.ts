// A chat page as an Apollo Client 4 user writes it, bundled and run in Chromium by
// test/e2e/apollo-browser.e2e.test.ts: HttpLink and GraphQLWsLink, a default InMemoryCache with no type policies.
// The badge and the chat list are watched queries; only the subscriptions' answers, normalized by id, change them.
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

export interface ApolloPageState {
  /** The socket is up and both queries have their first answer. */
  ready: boolean;
  error?: string;
  badge?: { unseenMessages: number; unseenConversations: number };
  chats: { id: string; name: string; detail: string; unseenCount: number }[];
}

declare global {
  interface Window {
    apolloPage: ApolloPageState;
  }
}

interface Counts {
  id: string;
  unseenMessages: number;
  unseenConversations: number;
}
interface Entry {
  id: string;
  unseenCount: number;
  lastMessage: { id: string; detail: string };
  otherUser: { id: string; name: string };
}

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

const state: ApolloPageState = { ready: false, chats: [] };
window.apolloPage = state;
const fail = (error: unknown) => (state.error = error instanceof Error ? error.message : String(error));

function render(): void {
  (document.getElementById('badge') as HTMLElement).textContent = state.badge
    ? String(state.badge.unseenMessages)
    : '';
  const list = document.getElementById('chats') as HTMLUListElement;
  list.replaceChildren(
    ...state.chats.map((chat) => {
      const item = document.createElement('li');
      item.dataset.id = chat.id;
      item.textContent = `${chat.name}: ${chat.detail} (${chat.unseenCount})`;
      return item;
    }),
  );
}

async function main(): Promise<void> {
  // The API is on another origin (its CORS lets any page call it); where, and who logs in, is in the hash.
  const settings = new URLSearchParams(location.hash.slice(1));
  const uri = `${settings.get('api')}/graphql`;
  const anonymous = new ApolloClient({ link: new HttpLink({ uri }), cache: new InMemoryCache() });
  const { data } = await anonymous.mutate<{ login: { accessToken: string } }>({
    mutation: gql`
      mutation Login($email: String!, $password: String!) {
        login(email: $email, password: $password) {
          accessToken
        }
      }
    `,
    variables: { email: settings.get('email'), password: settings.get('password') },
  });
  if (!data) throw new Error('login answered no data');
  const headers = { authorization: `Bearer ${data.login.accessToken}` };

  const ws = createClient({ url: uri.replace(/^http/, 'ws'), connectionParams: headers });
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(ws),
    new HttpLink({ uri, headers }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });

  const waiting = new Set(['socket', 'badge', 'chats']);
  const started = (part: string) => {
    if (waiting.delete(part) && waiting.size === 0) state.ready = true;
  };
  ws.on('connected', () => started('socket'));

  // Nothing reads these results: they only write into the cache.
  client
    .subscribe({
      query: gql`
        subscription Counts {
          unreadCountsChanged {
            ...Counts
          }
        }
        ${COUNTS}
      `,
    })
    .subscribe({ error: fail });
  client
    .subscribe({
      query: gql`
        subscription Messages {
          messageCreated {
            id
            detail
            conversation {
              ...Entry
            }
          }
        }
        ${ENTRY}
      `,
    })
    .subscribe({ error: fail });

  client
    .watchQuery<{ unreadCounts: Counts }>({
      query: gql`
        query Badge {
          unreadCounts {
            ...Counts
          }
        }
        ${COUNTS}
      `,
    })
    .subscribe({
      next: ({ data, dataState }) => {
        if (dataState !== 'complete') return;
        const { unseenMessages, unseenConversations } = data.unreadCounts;
        state.badge = { unseenMessages, unseenConversations };
        render();
        started('badge');
      },
      error: fail,
    });
  client
    .watchQuery<{ conversations: Entry[] }>({
      query: gql`
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
      `,
    })
    .subscribe({
      next: ({ data, dataState }) => {
        if (dataState !== 'complete') return;
        state.chats = data.conversations.map((entry) => ({
          id: entry.id,
          name: entry.otherUser.name,
          detail: entry.lastMessage.detail,
          unseenCount: entry.unseenCount,
        }));
        render();
        started('chats');
      },
      error: fail,
    });
}

main().catch(fail);

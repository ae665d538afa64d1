// A new client that misses nothing: the realtimeEvents subscription replays what was committed after the last
// event it handled, then goes on live. graphql-ws reconnects by itself and sends the subscription again with the
// same variables object, so updating `after` as events arrive makes every reconnection a resume.
// It also keeps the unread badges with unreadCountsChanged.
// Run: node examples/graphql-ws-resume.mjs   (env: API_URL, EMAIL, PASSWORD)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { API_URL, countEvents, login } from './login.mjs';

const { token, name } = await login();

async function query(text) {
  const response = await fetch(`${API_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: text }),
  });
  const { data, errors } = await response.json();
  if (errors) throw new Error(errors[0].message);
  return data;
}

// Start from now: the newest event id, and the badges as they are.
const start = await query(
  '{ realtimeEvents { lastId } unreadCounts { unseenMessages unseenNotifications } }',
);
const variables = { after: start.realtimeEvents.lastId };
console.log('unread', JSON.stringify(start.unreadCounts));

const client = createClient({
  url: `${API_URL.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: Infinity,
  shouldRetry: () => true,
});
const seen = countEvents(() => client.dispose());

client.subscribe(
  {
    query: `subscription ($after: ID) {
      realtimeEvents(after: $after) { id name message { id detail } notification { id title } }
    }`,
    variables,
  },
  {
    next: ({ data, errors }) => {
      if (errors) {
        // CURSOR_EXPIRED: away longer than the server keeps events; reload everything, then resume from now.
        console.error('realtimeEvents failed:', errors[0].extensions?.code, errors[0].message);
        return;
      }
      const event = data.realtimeEvents;
      variables.after = event.id;
      console.log(
        'realtimeEvents',
        event.id,
        event.name,
        JSON.stringify(event.message ?? event.notification),
      );
      seen();
    },
    error: (error) => console.error('realtimeEvents failed:', error),
    complete: () => undefined,
  },
);
client.subscribe(
  {
    query: 'subscription { unreadCountsChanged { unseenMessages unseenConversations unseenNotifications } }',
  },
  {
    next: ({ data }) => console.log('unread', JSON.stringify(data.unreadCountsChanged)),
    error: (error) => console.error('unreadCountsChanged failed:', error),
    complete: () => undefined,
  },
);
let connections = 0;
client.on('connected', () => {
  connections += 1;
  console.log(connections === 1 ? `listening as ${name}` : 'reconnected: resuming');
});

// A new client: logs in over HTTP, then prints messageCreated and notificationCreated as they arrive (graphql-ws).
// Run: node examples/graphql-ws-client.mjs   (env: API_URL, EMAIL, PASSWORD)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { API_URL, countEvents, login } from './login.mjs';

const { token, name } = await login();
const client = createClient({
  url: `${API_URL.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
});
const seen = countEvents(() => client.dispose());

for (const field of ['messageCreated', 'notificationCreated']) {
  const selection =
    field === 'messageCreated' ? 'id detail createdAt sender { id name }' : 'id title detail createdAt';
  client.subscribe(
    { query: `subscription { ${field} { ${selection} } }` },
    {
      next: ({ data, errors }) => {
        console.log(field, JSON.stringify(errors ?? data[field]));
        seen();
      },
      error: (error) => console.error(field, 'failed:', error),
      complete: () => undefined,
    },
  );
}
client.on('connected', () => console.log(`listening as ${name}`));

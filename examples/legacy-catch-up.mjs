// A legacy pusher-js client that misses nothing: after every (re)connection, once its channels are subscribed
// again, it asks the catch-up query for what was committed since the last event id it knows, and hands each event
// to the same handler as live ones (the query gives the Pusher data byte for byte). Pusher data carries no event
// id, so an event that arrived live and again in the catch-up is recognised by its name and data.
// Run: node examples/legacy-catch-up.mjs   (env: API_URL, EMAIL, PASSWORD, PUSHER_APP_KEY)
import Pusher from 'pusher-js';
import { API_URL, countEvents, login } from './login.mjs';

const { token, userId, name } = await login();

async function realtimeEvents(after) {
  const response = await fetch(`${API_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query:
        'query ($after: ID) { realtimeEvents(after: $after) { events { id name data } hasMore lastId } }',
      variables: { after },
    }),
  });
  const { data, errors } = await response.json();
  // CURSOR_EXPIRED: away longer than the server keeps events; reload everything, then go on from now.
  if (errors) throw Object.assign(new Error(errors[0].message), { code: errors[0].extensions?.code });
  return data.realtimeEvents;
}

// Where this client is: the newest event id when it started, then the lastId of each catch-up.
let lastId = (await realtimeEvents(null)).lastId;
const recent = new Set(); // name + data of the latest events handled, to skip one seen twice
const seen = countEvents(() => pusher.disconnect());

function handle(event, data) {
  const key = `${event} ${JSON.stringify(data)}`;
  if (recent.has(key)) return;
  recent.add(key);
  if (recent.size > 1000) recent.delete(recent.values().next().value);
  console.log(event, JSON.stringify(data.model));
  seen();
}

async function catchUp() {
  try {
    for (;;) {
      const page = await realtimeEvents(lastId);
      for (const event of page.events) handle(event.name, JSON.parse(event.data));
      lastId = page.lastId;
      if (!page.hasMore) return;
    }
  } catch (error) {
    if (error.code !== 'CURSOR_EXPIRED') throw error;
    console.log('away too long: reload everything');
    lastId = (await realtimeEvents(null)).lastId;
  }
}

const server = new URL(API_URL);
const pusher = new Pusher(process.env.PUSHER_APP_KEY ?? 'app-key', {
  cluster: process.env.PUSHER_CLUSTER ?? 'mt1',
  wsHost: server.hostname,
  wsPort: Number(server.port || 80),
  forceTLS: false,
  enabledTransports: ['ws'],
  authEndpoint: `${API_URL}/broadcasting/auth`,
  auth: { headers: { Authorization: `Bearer ${token}` } },
});

const channelNames = [`private-MessageChannel.User.${userId}`, `private-NotificationChannel.User.${userId}`];
let resubscribing = 0;
let connections = 0;
pusher.connection.bind('connected', () => {
  connections += 1;
  resubscribing = channelNames.length;
});
for (const channelName of channelNames) {
  const channel = pusher.subscribe(channelName);
  channel.bind('pusher:subscription_succeeded', () => {
    resubscribing -= 1;
    if (resubscribing !== 0) return;
    // Subscribed again, so nothing committed from now on is missed live: catch up on what came before.
    void catchUp().then(() => {
      if (connections === 1) console.log(`listening as ${name}`);
      else console.log(`caught up after reconnecting, at event ${lastId}`);
    });
  });
  for (const event of ['MessageCreated', 'MessageUpdated', 'NotificationCreated', 'NotificationUpdated']) {
    channel.bind(event, (data) => handle(event, data));
  }
}

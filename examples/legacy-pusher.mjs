// A legacy client, unchanged from the Laravel days: pusher-js on the user's private channels.
// Run: node examples/legacy-pusher.mjs   (env: API_URL, EMAIL, PASSWORD, PUSHER_APP_KEY; for Pusher Channels set
// PUSHER_CLUSTER and leave the ws host alone)
import Pusher from 'pusher-js';
import { API_URL, countEvents, login } from './login.mjs';

const { token, userId, name } = await login();
const server = new URL(API_URL);
const pusher = new Pusher(process.env.PUSHER_APP_KEY ?? 'app-key', {
  cluster: process.env.PUSHER_CLUSTER ?? 'mt1',
  // The built-in endpoint: the API server itself. Drop these three for Pusher Channels.
  wsHost: server.hostname,
  wsPort: Number(server.port || 80),
  forceTLS: false,
  enabledTransports: ['ws'],
  authEndpoint: `${API_URL}/broadcasting/auth`,
  auth: { headers: { Authorization: `Bearer ${token}` } },
});
const seen = countEvents(() => pusher.disconnect());

let subscribed = 0;
for (const channelName of [
  `private-MessageChannel.User.${userId}`,
  `private-NotificationChannel.User.${userId}`,
]) {
  const channel = pusher.subscribe(channelName);
  channel.bind('pusher:subscription_succeeded', () => {
    subscribed += 1;
    if (subscribed === 2) console.log(`listening as ${name}`);
  });
  for (const event of ['MessageCreated', 'MessageUpdated', 'NotificationCreated', 'NotificationUpdated']) {
    channel.bind(event, (data) => {
      console.log(event, JSON.stringify(data.model));
      seen();
    });
  }
}

// A Laravel Echo client (pusher broadcaster), as the legacy web app listens: note the leading dot, since the
// events are named by the model broadcasting convention, not by a PHP event class.
// Run: node examples/laravel-echo.mjs   (env: API_URL, EMAIL, PASSWORD, PUSHER_APP_KEY)
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { API_URL, countEvents, login } from './login.mjs';

const { token, userId, name } = await login();
const server = new URL(API_URL);
const echo = new Echo({
  broadcaster: 'pusher',
  Pusher,
  key: process.env.PUSHER_APP_KEY ?? 'app-key',
  cluster: process.env.PUSHER_CLUSTER ?? 'mt1',
  wsHost: server.hostname,
  wsPort: Number(server.port || 80),
  forceTLS: false,
  enabledTransports: ['ws'],
  authEndpoint: `${API_URL}/broadcasting/auth`,
  auth: { headers: { Authorization: `Bearer ${token}` } },
});
const seen = countEvents(() => echo.disconnect());

echo
  .private(`MessageChannel.User.${userId}`)
  .subscribed(() => console.log(`listening as ${name}`))
  .listen('.MessageCreated', (event) => {
    console.log('MessageCreated', JSON.stringify(event.model));
    seen();
  });

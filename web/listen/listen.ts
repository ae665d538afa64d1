import Pusher from 'pusher-js';

interface PusherSettings {
  key: string;
  cluster: string;
  /** Undefined: the page's own host, where the built-in endpoint serves. */
  wsHost?: string;
  wsPort?: number;
  forceTLS: boolean;
}

const form = document.getElementById('login') as HTMLFormElement;
const status = document.getElementById('status') as HTMLElement;
const list = document.getElementById('events') as HTMLOListElement;
let pusher: Pusher | undefined;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (result.errors?.length || !result.data) throw new Error(result.errors?.[0]?.message ?? 'No answer');
  return result.data;
}

async function logIn(): Promise<{ token: string; userId: string; name: string }> {
  const data = new FormData(form);
  const given = String(data.get('token') ?? '').trim();
  if (given) {
    const { me } = await graphql<{ me: { id: string; name: string } }>('{ me { id name } }', {}, given);
    return { token: given, userId: me.id, name: me.name };
  }
  const { login } = await graphql<{ login: { accessToken: string; user: { id: string; name: string } } }>(
    'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id name } } }',
    { email: data.get('email'), password: data.get('password') },
  );
  return { token: login.accessToken, userId: login.user.id, name: login.user.name };
}

function show(channel: string, event: string, payload: unknown): void {
  const item = document.createElement('li');
  item.className = 'event';
  item.dataset.event = event;
  const title = document.createElement('div');
  title.innerHTML = `<time></time> <code></code> on <span></span>`;
  (title.querySelector('time') as HTMLElement).textContent = new Date().toLocaleTimeString();
  (title.querySelector('code') as HTMLElement).textContent = event;
  (title.querySelector('span') as HTMLElement).textContent = channel;
  const body = document.createElement('pre');
  body.textContent = JSON.stringify(payload, null, 2);
  item.append(title, body);
  list.prepend(item);
}

async function listen(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  pusher?.disconnect();
  say('Logging in…');
  const { token, userId, name } = await logIn();
  const settings = (await (await fetch('pusher.json')).json()) as PusherSettings;
  pusher = new Pusher(settings.key, {
    cluster: settings.cluster,
    wsHost: settings.wsHost ?? window.location.hostname,
    wsPort:
      settings.wsPort ?? Number(window.location.port || (window.location.protocol === 'https:' ? 443 : 80)),
    wssPort: settings.wsPort ?? Number(window.location.port || 443),
    forceTLS: settings.forceTLS,
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    authEndpoint: '/broadcasting/auth',
    auth: { headers: { Authorization: `Bearer ${token}` } },
  });
  const channels = [`private-MessageChannel.User.${userId}`, `private-NotificationChannel.User.${userId}`];
  let subscribed = 0;
  for (const channelName of channels) {
    const channel = pusher.subscribe(channelName);
    channel.bind('pusher:subscription_succeeded', () => {
      subscribed += 1;
      if (subscribed === channels.length)
        say(`Listening as ${name} (user ${userId}) on ${channels.join(' and ')}.`);
    });
    channel.bind('pusher:subscription_error', (error: { status?: number }) =>
      say(`Could not subscribe to ${channelName} (${error.status ?? 'error'}).`, true),
    );
    channel.bind_global((eventName: string, payload: unknown) => {
      if (!eventName.startsWith('pusher:') && !eventName.startsWith('pusher_internal:')) {
        show(channelName, eventName, payload);
      }
    });
  }
}

form.addEventListener('submit', (event) => {
  listen(event).catch((error: Error) => say(error.message, true));
});

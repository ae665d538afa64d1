// Shared by the examples: where the server is, and logging in to get an access token.
export const API_URL = process.env.API_URL ?? 'http://localhost:4000';

/** Logs in with EMAIL and PASSWORD (default: the development admin); returns the token and the user id. */
export async function login() {
  const response = await fetch(`${API_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id name } } }',
      variables: {
        email: process.env.EMAIL ?? 'admin@email.com',
        password: process.env.PASSWORD ?? '12345678',
      },
    }),
  });
  const { data, errors } = await response.json();
  if (errors) throw new Error(errors[0].message);
  return { token: data.login.accessToken, userId: data.login.user.id, name: data.login.user.name };
}

/** Stops after MAX_EVENTS events when it is set (the test suite runs the examples this way). */
export function countEvents(onDone) {
  const max = Number(process.env.MAX_EVENTS ?? Infinity);
  let seen = 0;
  return () => {
    seen += 1;
    if (seen >= max) onDone();
  };
}

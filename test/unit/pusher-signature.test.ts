import { createHash, createHmac } from 'node:crypto';
import { apiRequestProblem, isValidChannelAuth } from '../../src/realtime/pusher-endpoint/pusher-signature';

const KEY = 'app-key';
const SECRET = 'app-secret';
const PATH = '/apps/app-id/events';

/** Signs a request the way the Pusher HTTP API documents it. */
function signed(body: string, overrides: Record<string, string> = {}) {
  const query: Record<string, string> = {
    auth_key: KEY,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: createHash('md5').update(body).digest('hex'),
    ...overrides,
  };
  const text = Object.keys(query)
    .sort()
    .map((k) => `${k}=${query[k]}`)
    .join('&');
  query.auth_signature = createHmac('sha256', SECRET).update(`POST\n${PATH}\n${text}`).digest('hex');
  return { method: 'POST', path: PATH, query, body: Buffer.from(body) };
}

describe('apiRequestProblem', () => {
  it('accepts a correctly signed request', () => {
    expect(apiRequestProblem(KEY, SECRET, signed('{"name":"E"}'))).toBeUndefined();
  });

  it('refuses a changed body, a stale timestamp, another key, a wrong version and a forged signature', () => {
    const good = signed('{"name":"E"}');
    expect(apiRequestProblem(KEY, SECRET, { ...good, body: Buffer.from('{"name":"X"}') })).toMatch(
      /body_md5/,
    );
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect(apiRequestProblem(KEY, SECRET, signed('{}', { auth_timestamp: stale }))).toMatch(/auth_timestamp/);
    expect(apiRequestProblem(KEY, SECRET, signed('{}', { auth_key: 'other' }))).toMatch(/auth_key/);
    expect(apiRequestProblem(KEY, SECRET, signed('{}', { auth_version: '2.0' }))).toMatch(/auth_version/);
    const forged = signed('{}');
    expect(
      apiRequestProblem(KEY, SECRET, {
        ...forged,
        query: { ...forged.query, auth_signature: 'f'.repeat(64) },
      }),
    ).toMatch(/auth_signature/);
    expect(apiRequestProblem(KEY, 'another-secret', signed('{}'))).toMatch(/auth_signature/);
  });
});

describe('isValidChannelAuth', () => {
  const auth = `${KEY}:${createHmac('sha256', SECRET).update('1.2:private-a').digest('hex')}`;

  it('accepts the signature of this socket and channel only', () => {
    expect(isValidChannelAuth(KEY, SECRET, '1.2', 'private-a', auth)).toBe(true);
    expect(isValidChannelAuth(KEY, SECRET, '1.3', 'private-a', auth)).toBe(false);
    expect(isValidChannelAuth(KEY, SECRET, '1.2', 'private-b', auth)).toBe(false);
    expect(isValidChannelAuth(KEY, SECRET, '1.2', 'private-a', undefined)).toBe(false);
    expect(isValidChannelAuth(KEY, SECRET, '1.2', 'private-a', 'app-key:short')).toBe(false);
  });
});

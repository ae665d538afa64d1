import { LegacyHttpClient } from '../support/legacy-http';
import { startTestServer, type TestServer } from '../support/test-server';

/** The routes of issue 16, read from the Laravel `routes/api.php`: what the description must list, no more. */
const LEGACY_ROUTES = [
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'POST /api/auth/refresh',
  'GET /api/auth/user-profile',
  'POST /api/auth/user-profile',
  'POST /api/auth/change-password',
  'POST /api/auth/change-password%20',
  'GET /api/auth/users',
  'GET /api/chat',
  'POST /api/chat/create',
  'POST /api/chat/update',
  'GET /api/chat/message',
  'GET /api/chat/between',
  'GET /api/chat/between/count',
  'GET /api/chat/lastest',
  'GET /api/chat/count/unseen',
  'GET /api/notification',
  'POST /api/notification/create',
  'POST /api/notification/update',
  'GET /api/notification/notification',
  'GET /api/notification/user',
  'GET /api/notification/user/status',
  'GET /api/notification/user/status/count',
  'GET /api/admin/user',
  'POST /api/admin/user/{id}',
  'GET /api/user/{id}',
  'GET /api/openapi.json',
];
const GUEST_ROUTES = [
  'POST /api/auth/register',
  'POST /api/auth/login',
  'GET /api/user/{id}',
  'GET /api/openapi.json',
];

interface Operation {
  security?: unknown[];
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let t: TestServer;
let http: LegacyHttpClient;
let document: Document;

beforeAll(async () => {
  t = await startTestServer();
  http = new LegacyHttpClient(t.url);
  const answer = await http.get<Document>('/openapi.json');
  expect(answer.status).toBe(200);
  document = answer.body;
});
afterAll(async () => {
  await t.close();
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
const concrete = (path: string) => path.replace('{id}', '1').replace(/^\/api/, '');

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document listing exactly the legacy routes', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(
      operations()
        .map(({ method, path }) => `${method} ${path}`)
        .sort(),
    ).toEqual([...LEGACY_ROUTES].sort());
  });

  it("documents the login's 422 beside its token", () => {
    expect(Object.keys(document.paths['/api/auth/login'].post.responses).sort()).toEqual([
      '200',
      '422',
      '429',
    ]);
  });

  it('only refers to schemas it defines', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const name of new Set(refs)) expect(Object.keys(document.components.schemas)).toContain(name);
  });

  it('matches the routes the server answers: each one is there, asks for a token when it says so, and refuses other methods', async () => {
    for (const { method, path, operation } of operations()) {
      const answer = await http.send(method, concrete(path));
      const guest = GUEST_ROUTES.includes(`${method} ${path}`);
      expect([method, path, guest ? answer.status !== 401 : answer.status]).toEqual([
        method,
        path,
        guest ? true : 401,
      ]);
      expect([404, 405]).not.toContain(answer.status);
      // A guest route declares no security requirement (or an optional one); the others inherit the bearer one.
      expect(operation.security === undefined).toBe(!guest);
      expect(Object.keys(operation.responses)).toContain(
        guest ? (path.endsWith('register') ? '201' : '200') : '401',
      );
      if (!guest) expect(answer.body).toEqual({ error: 'Unauthenticated.' });
    }
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        if (methods[method.toLowerCase()] !== undefined) continue;
        const answer = await http.send(method, concrete(path));
        expect([method, path, answer.status]).toEqual([method, path, 405]);
      }
    }
  });
});

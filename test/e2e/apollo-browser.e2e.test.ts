import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { ApolloPageState } from '../browser/apollo-page';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { launchChromium } from '../support/browser';
import { startTestServer, type TestServer } from '../support/test-server';

const WAIT = { timeout: 30_000 };

let t: TestServer;
let browser: Browser | undefined;
let script: string;
let pageServer: Server | undefined;
let pageUrl: string;

beforeAll(async () => {
  t = await startTestServer();
  browser = await launchChromium();
  // Bundled as scripts/build-web.ts bundles the served pages, but only for this test: the API does not serve it.
  const bundled = await build({
    entryPoints: [path.join(__dirname, '..', 'browser', 'apollo-page.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  script = bundled.outputFiles[0].text;
  pageUrl = await servePage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  await t.close();
});

/** The page from its own origin, a static server on 127.0.0.1 (Chromium lets such a page reach the local API). */
async function servePage(): Promise<string> {
  pageServer = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><span id="badge"></span><ul id="chats"></ul><script src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => pageServer?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
}

async function apolloPage(email: string, password: string): Promise<Page> {
  const page = await (browser as Browser).newPage();
  const hash = new URLSearchParams({ api: t.url, email, password }).toString();
  await page.goto(`${pageUrl}/#${hash}`);
  return page;
}

const pageState = (page: Page) => page.evaluate(() => window.apolloPage);

it('Apollo Client 4 in Chromium, default cache: the badge and the chat list entry follow the subscriptions alone', async () => {
  if (!browser) return;
  const reader = await createUser(t.client, { name: 'Reading Rita' });
  const writer = await createUser(t.client, { name: 'Writing Walt' });
  await sendMessage(t.client, writer.token, reader.id, 'before the page');
  const page = await apolloPage(reader.email, reader.password);
  await page.waitForFunction(
    () => window.apolloPage.ready || window.apolloPage.error !== undefined,
    null,
    WAIT,
  );
  const first: ApolloPageState = await pageState(page);
  expect(first.error).toBeUndefined();
  expect(first.badge).toEqual({ unseenMessages: 1, unseenConversations: 1 });
  expect(first.chats).toEqual([
    { id: `${reader.id}:${writer.id}`, name: 'Writing Walt', detail: 'before the page', unseenCount: 1 },
  ]);

  // The socket is up, but the server may not have started both subscriptions yet: an event before then is not
  // delivered. So send until the page shows the last message and all of them counted (each event carries the whole
  // counts and the whole entry, so one delivered pair brings the page up to date).
  let last: string;
  let sent = 1;
  for (let attempt = 1; ; attempt += 1) {
    last = `live message ${attempt}`;
    await sendMessage(t.client, writer.token, reader.id, last);
    sent += 1;
    const shown = await page
      .waitForFunction(
        ({ detail, count }) =>
          window.apolloPage.chats[0]?.detail === detail && window.apolloPage.badge?.unseenMessages === count,
        { detail: last, count: sent },
        { timeout: 5_000 },
      )
      .then(
        () => true,
        () => false,
      );
    if (shown) break;
    if (attempt === 6)
      throw new Error(`the page never showed "${last}": ${JSON.stringify(await pageState(page))}`);
  }

  const final = await pageState(page);
  expect(final.error).toBeUndefined();
  expect(final.badge).toEqual({ unseenMessages: sent, unseenConversations: 1 });
  expect(final.chats).toEqual([
    { id: `${reader.id}:${writer.id}`, name: 'Writing Walt', detail: last, unseenCount: sent },
  ]);
  expect(await page.locator('#badge').innerText()).toBe(String(sent));
  expect(await page.locator('#chats li').allInnerTexts()).toEqual([`Writing Walt: ${last} (${sent})`]);
  await page.close();
});

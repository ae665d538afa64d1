import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin } from '../fixtures/users';
import { launchChromium } from '../support/browser';
import { startTestServer, type TestServer } from '../support/test-server';

const SCREENSHOTS = path.join(__dirname, '..', '..', 'docs', 'screenshots');

let t: TestServer;
let browser: Browser | undefined;

beforeAll(async () => {
  t = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t.close();
});

/** A page that records the address of every request and WebSocket it opens. */
async function recordingPage(): Promise<{ page: Page; addresses: string[] }> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 850 } });
  const addresses: string[] = [];
  page.on('request', (request) => addresses.push(request.url()));
  page.on('websocket', (socket) => addresses.push(socket.url()));
  return { page, addresses };
}

function expectOnlyThisServer(addresses: string[]): void {
  const hosts = new Set(
    addresses.filter((address) => !/^(data|blob):/.test(address)).map((address) => new URL(address).host),
  );
  expect([...hosts]).toEqual([new URL(t.url).host]);
}

it('GraphiQL: logs in, subscribes to messageCreated with the token, and shows a message as it arrives', async () => {
  if (!browser) return;
  const { page, addresses } = await recordingPage();
  await page.goto(`${t.url}/graphiql/`);
  await page.waitForSelector('.graphiql-execute-button');

  // The first tab logs in as the admin; the page puts the token into the Headers editor.
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(() =>
    document.querySelector('.result-window')?.textContent?.includes('accessToken'),
  );
  const response = await page.locator('.result-window').innerText();
  const token = /"accessToken":\s*"([^"]+)"/.exec(response.replace(/\s+/g, ''))?.[1];
  expect(token).toBeDefined();
  const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  type WithCodeMirror = HTMLElement & { CodeMirror: { getValue(): string; setValue(text: string): void } };
  const headers = () =>
    page.$eval(headersEditor, (element) => (element as WithCodeMirror).CodeMirror.getValue());
  expect(JSON.parse(await headers())).toEqual({ Authorization: `Bearer ${token}` });

  // The subscription tab, with the token put into its Headers editor.
  await page.click('.graphiql-tab:has-text("MessageCreated")');
  await page.$eval(
    headersEditor,
    (element, value) => (element as WithCodeMirror).CodeMirror.setValue(value),
    JSON.stringify({ Authorization: `Bearer ${token}` }),
  );
  await page.click('.graphiql-execute-button');
  await page.waitForTimeout(500);

  const admin = await loginAdmin(t.client);
  const sender = await createUser(t.client, { name: 'Browser Sender' });
  await sendMessage(t.client, sender.token, admin.id, 'Hello, GraphiQL subscriber');
  await page.waitForFunction(() =>
    document.querySelector('.result-window')?.textContent?.includes('Hello, GraphiQL subscriber'),
  );
  expect(await page.locator('.result-window').innerText()).toContain('Browser Sender');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'graphiql.png') });
  expectOnlyThisServer(addresses);
  expect(addresses.some((address) => address.startsWith('ws://') && address.endsWith('/graphql'))).toBe(true);
  await page.close();
});

it('GraphiQL shows the schema documentation from the field descriptions', async () => {
  if (!browser) return;
  const { page, addresses } = await recordingPage();
  await page.goto(`${t.url}/graphiql/`);
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.getByText('Message', { exact: true }).click();
  await page.waitForSelector('text=A direct message from one user to another.');
  await page.getByText('sender', { exact: true }).waitFor();
  expectOnlyThisServer(addresses);
  await page.close();
});

it('/test/listen: logs in with email and password and lists MessageCreated as it arrives', async () => {
  if (!browser) return;
  const listener = await createUser(t.client, { name: 'Listening Lisa' });
  const sender = await createUser(t.client, { name: 'Sending Sam' });
  const { page, addresses } = await recordingPage();
  await page.goto(`${t.url}/test/listen/`);
  await page.fill('#email', listener.email);
  await page.fill('#password', listener.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#status:has-text("Listening as Listening Lisa")');

  const sent = await sendMessage(t.client, sender.token, listener.id, 'Hello, legacy listener');
  const event = page.locator('li.event[data-event="MessageCreated"]');
  await event.waitFor();
  const payload = await event.locator('pre').innerText();
  expect(JSON.parse(payload)).toMatchObject({
    model: { message_id: Number(sent.id), detail: 'Hello, legacy listener', sender_id: Number(sender.id) },
    connection: null,
    queue: null,
  });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'listen.png') });
  expectOnlyThisServer(addresses);
  await page.close();
});

it('/test/listen: a wrong password is shown as an error', async () => {
  if (!browser) return;
  const user = await createUser(t.client);
  const { page } = await recordingPage();
  await page.goto(`${t.url}/test/listen/`);
  await page.fill('#email', user.email);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#status.error:has-text("Invalid email or password")');
  await page.close();
});

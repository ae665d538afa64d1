import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly key: string | undefined;
  /** Whether X-Pusher-Signature is the HMAC-SHA256 of the body with the secret. */
  readonly signed: boolean;
  readonly body: { time_ms: number; events: Record<string, unknown>[] };
  /** What this receiver answered. */
  readonly status: number;
}

/** An app's webhook endpoint: records each post, answering 500 to the first `failures` of them. */
export async function startWebhookReceiver(secret: string, failures = 0) {
  const received: ReceivedWebhook[] = [];
  let failed = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const expected = createHmac('sha256', secret).update(raw).digest('hex');
      const status = failed < failures ? 500 : 200;
      if (status === 500) failed += 1;
      received.push({
        key: req.headers['x-pusher-key'] as string | undefined,
        signed: req.headers['x-pusher-signature'] === expected,
        body: JSON.parse(raw) as ReceivedWebhook['body'],
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pusher/webhook`,
    received,
    /** Every event the receiver accepted (answered 200), in arrival order. */
    events: () => received.filter((post) => post.status === 200).flatMap((post) => post.body.events),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

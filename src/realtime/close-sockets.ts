import type { WebSocketServer } from 'ws';
import { withTimeout } from '../timeout';

/** How long clients get to answer a close frame during shutdown. */
const CLOSE_GRACE_MS = 1000;

/**
 * Waits for `closing` (the close frames already sent), but no longer than the grace period: a client that never
 * answers the close handshake would otherwise hold the shutdown for ws's 30 s, so the rest are cut off.
 */
export async function closeWithin(wss: WebSocketServer, closing: Promise<void>): Promise<void> {
  try {
    await withTimeout(closing, CLOSE_GRACE_MS);
  } catch {
    for (const socket of wss.clients) socket.terminate();
    await closing;
  }
}

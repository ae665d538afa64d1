import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SocketSlot, SocketSlots } from './socket-slots';

export interface UpgradeHandler {
  handles(pathname: string): boolean;
  /** `slot` is the socket's place in the per-client counts: the handler marks it once the socket authenticates. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, slot?: SocketSlot): void;
}

/** Counts each upgrade against the client address it comes from (as TRUST_PROXY resolves it). */
export interface UpgradeSlots {
  readonly slots: SocketSlots;
  readonly clientOf: (request: IncomingMessage) => string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Answers an upgrade that will not become a WebSocket with a plain HTTP status on the raw socket. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

/** The path of an upgrade request, or undefined when its target is not a usable URL. */
function pathnameOf(request: IncomingMessage): string | undefined {
  const target = request.url;
  // Only origin-form targets ("/…"); "//host" would be read as a host by the URL parser.
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Sends each WebSocket upgrade on the shared port to the server its path names; others are refused with an HTTP
 * status. Nothing a client sends makes it throw: an exception here would stop the process.
 */
export function routeUpgrades(handlers: readonly UpgradeHandler[], counted?: UpgradeSlots) {
  return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client that resets the connection must not raise an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    try {
      const pathname = pathnameOf(request);
      if (pathname === undefined) return refuseUpgrade(socket, 400);
      const handler = handlers.find((candidate) => candidate.handles(pathname));
      if (!handler) return refuseUpgrade(socket, 404);
      let slot: SocketSlot | undefined;
      if (counted) {
        slot = counted.slots.claim(counted.clientOf(request));
        if (!slot) return refuseUpgrade(socket, 429);
        socket.once('close', slot.release);
      }
      handler.handleUpgrade(request, socket, head, slot);
    } catch {
      refuseUpgrade(socket, 500);
    }
  };
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface UpgradeHandler {
  handles(pathname: string): boolean;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Sends each WebSocket upgrade on the shared port to the server its path names; others are refused. */
export function routeUpgrades(handlers: readonly UpgradeHandler[]) {
  return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const handler = handlers.find((candidate) => candidate.handles(pathname));
    if (handler) {
      handler.handleUpgrade(request, socket, head);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  };
}

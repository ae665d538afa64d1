import { createServer, type Server, type Socket, connect } from 'node:net';

/** What a process asked PostgreSQL for, read off the wire. */
export interface StatementCounts {
  /** Statements executed: each simple query ('Q') and each extended-protocol Execute ('E'). */
  readonly statements: number;
  /** Waits for an answer: each simple query and each Sync ('S'), after which the client waits for ReadyForQuery. */
  readonly roundTrips: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Counts the frontend messages of one connection: the startup packets have no type byte (and an SSL or GSS
 * request is followed by another startup packet), every later message is a type byte and a 4-byte length.
 */
class FrontendParser {
  private buffer: Buffer = Buffer.alloc(0);
  private startup = true;

  constructor(private readonly onMessage: (type: string) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.startup) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        this.startup = code === SSL_REQUEST || code === GSSENC_REQUEST;
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      this.onMessage(String.fromCharCode(this.buffer[0]));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements and round trips of every connection through it.
 * Point a process's database URL at `url` (no TLS: the bench talks to PostgreSQL over loopback in the clear).
 */
export class StatementCounter {
  private statements = 0;
  private roundTrips = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(databaseUrl: string): Promise<StatementCounter> {
    const upstream = new URL(databaseUrl);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('statement counter: no port');
    const url = Object.assign(new URL(databaseUrl), { hostname: '127.0.0.1', port: String(address.port) });
    const counter = new StatementCounter(server, url.href);
    server.on('connection', (client) =>
      counter.relay(client, upstream.hostname, Number(upstream.port || 5432)),
    );
    return counter;
  }

  counts(): StatementCounts {
    return { statements: this.statements, roundTrips: this.roundTrips };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number): void {
    const database = connect(port, host);
    for (const socket of [client, database]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const parser = new FrontendParser((type) => {
      if (type === 'Q') {
        this.statements++;
        this.roundTrips++;
      } else if (type === 'E') this.statements++;
      else if (type === 'S') this.roundTrips++;
    });
    client.on('data', (chunk) => parser.push(chunk));
    client.pipe(database);
    database.pipe(client);
    client.once('close', () => database.destroy());
    database.once('close', () => client.destroy());
  }
}

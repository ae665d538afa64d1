// Bare baseline for the message benchmarks, the notification burst and memory: node:http + pg insert + a JSON push
// of each inserted row to its receiver's ws sockets.
import { createServer } from 'node:http';
import { Pool } from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate, bearer, readBody } from './auth';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const sockets = new Map<number, Set<WebSocket>>();

const server = createServer((req, res) => {
  if (req.url === '/ready') {
    res.end('ok');
    return;
  }
  void (async () => {
    const sender = await authenticate(pool, bearer(req));
    if (!sender) {
      res.writeHead(401).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/messages') {
      const { receiverId, detail } = JSON.parse(await readBody(req)) as {
        receiverId: number;
        detail: string;
      };
      const inserted = await pool.query(
        'INSERT INTO messages (detail, sender_id, receiver_id) VALUES ($1, $2, $3) RETURNING *',
        [detail, sender.user_id, receiverId],
      );
      const json = JSON.stringify(inserted.rows[0]);
      for (const socket of sockets.get(receiverId) ?? []) socket.send(json);
      res.writeHead(200, { 'content-type': 'application/json' }).end(json);
      return;
    }
    if (req.method === 'POST' && req.url === '/notifications' && sender.role === 'admin') {
      // One notification per receiver in one statement, as an admin's createNotification to many.
      const { receiverIds, title, detail } = JSON.parse(await readBody(req)) as {
        receiverIds: number[];
        title: string;
        detail: string;
      };
      const inserted = await pool.query<{ receiver_id: number }>(
        'INSERT INTO notifications (title, detail, receiver_id) SELECT $1, $2, unnest($3::int[]) RETURNING *',
        [title, detail, receiverIds],
      );
      for (const row of inserted.rows) {
        const json = JSON.stringify(row);
        for (const socket of sockets.get(row.receiver_id) ?? []) socket.send(json);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(inserted.rowCount));
      return;
    }
    res.writeHead(404).end();
  })().catch(() => res.writeHead(500).end());
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
  void authenticate(pool, token).then((user) => {
    if (!user) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const mine = sockets.get(user.user_id) ?? new Set();
      mine.add(ws);
      sockets.set(user.user_id, mine);
      ws.on('close', () => mine.delete(ws));
    });
  });
});

server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  wss.close();
  server.close();
  void pool.end().then(() => process.exit(0));
});

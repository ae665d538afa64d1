// Bare baseline for the read benchmark: node:http + pg, the same checks and SQL as the server, the same JSON.
import { createServer } from 'node:http';
import { Pool } from 'pg';
import { authenticate, bearer, readBody, userJson, type BaselineUser } from './auth';

interface MessageRow {
  message_id: number;
  detail: string;
  status: string;
  sender_id: number;
  receiver_id: number;
  created_at: Date;
  updated_at: Date;
}

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

async function conversation(me: BaselineUser, otherUserId: number, first: number): Promise<unknown> {
  const messages = await pool.query<MessageRow>(
    `SELECT * FROM messages
      WHERE (sender_id = $1 AND receiver_id = $2) OR (sender_id = $2 AND receiver_id = $1)
      ORDER BY message_id DESC LIMIT $3`,
    [me.user_id, otherUserId, first],
  );
  const ids = [...new Set(messages.rows.flatMap((m) => [m.sender_id, m.receiver_id]))];
  const users = await pool.query<BaselineUser>('SELECT * FROM users WHERE user_id = ANY($1::int[])', [ids]);
  const byId = new Map(users.rows.map((u) => [u.user_id, userJson(u)]));
  return messages.rows.map((m) => ({
    id: String(m.message_id),
    detail: m.detail,
    status: m.status.toUpperCase(),
    senderId: String(m.sender_id),
    receiverId: String(m.receiver_id),
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    sender: byId.get(m.sender_id),
    receiver: byId.get(m.receiver_id),
  }));
}

const server = createServer((req, res) => {
  if (req.url === '/ready') {
    res.end('ok');
    return;
  }
  void (async () => {
    const body = JSON.parse(await readBody(req)) as { query: string; variables?: Record<string, string> };
    const me = await authenticate(pool, bearer(req));
    if (!me) {
      res.writeHead(401).end();
      return;
    }
    const data = body.query.includes('conversation')
      ? { conversation: await conversation(me, Number(body.variables?.other), 20) }
      : { me: userJson(me) };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
  })().catch(() => res.writeHead(500).end());
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});

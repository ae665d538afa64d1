import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import type { Pool } from 'pg';

export interface BaselineUser {
  readonly user_id: number;
  readonly email: string;
  readonly name: string;
  readonly phonenumber: string;
  readonly address: string;
  readonly role: string;
  readonly status: string;
  readonly image_link: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const key = new TextEncoder().encode(process.env.JWT_SECRET ?? '');

/** The same check the server makes on every request: a valid token, a live session, an active user. */
export async function authenticate(pool: Pool, token: string | undefined): Promise<BaselineUser | undefined> {
  if (!token) return undefined;
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'jobwarehouse' });
    const result = await pool.query<BaselineUser>(
      `SELECT u.* FROM auth_sessions s JOIN users u ON u.user_id = s.user_id
        WHERE s.session_id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND u.status = 'active'`,
      [payload.sid, Number(payload.sub)],
    );
    return result.rows[0];
  } catch {
    return undefined;
  }
}

export const bearer = (req: IncomingMessage) => req.headers.authorization?.replace(/^Bearer /, '');

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** A user as the GraphQL API shows it. */
export const userJson = (u: BaselineUser) => ({
  id: String(u.user_id),
  email: u.email,
  name: u.name,
  phonenumber: u.phonenumber,
  address: u.address,
  role: u.role.toUpperCase(),
  status: u.status.toUpperCase(),
  imageLink: u.image_link,
  createdAt: u.created_at.toISOString(),
  updatedAt: u.updated_at.toISOString(),
});

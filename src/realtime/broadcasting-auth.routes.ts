import cors from 'cors';
import express, { type Request, type Response, Router } from 'express';
import { channelOwner } from '../events/realtime-event';
import type { PusherChannelBinding } from '../events/shared-bus';
import { AppError } from '../errors';
import { bearerToken } from '../http/bearer-token';
import type { AuthService } from '../services/auth.service';
import type { Viewer } from '../services/viewer';
import type { PusherGateway } from './pusher-gateway';
import { isChannelName, PUSHER_CHANNEL_NAME_MAX_LENGTH } from './channel-name';
import { serverToUserChannel } from './pusher-endpoint/user-auth';

const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;

/** Who a viewer joins a presence channel as (Pusher's channel_data), or undefined when they may not join it. */
export type PresenceChannelAuthorizer = (
  viewer: Viewer,
  channel: string,
) => Promise<{ user_id: string; user_info: Record<string, unknown> } | undefined>;

/**
 * `POST /broadcasting/auth`, as Laravel served it to pusher-js: signs a private channel subscription only when the
 * channel is the token's own user's, and a presence channel only when `presence` allows it (with `channel_data`).
 */
export function broadcastingAuthRoutes(
  auth: AuthService,
  gateway: PusherGateway,
  /** Tells the built-in endpoint which session signed, before the client can send its subscribe. */
  announceBinding?: (binding: PusherChannelBinding) => Promise<void>,
  presence?: PresenceChannelAuthorizer,
): Router {
  const router = Router();
  // Web clients on another origin call this with an Authorization header, which needs a CORS preflight.
  router.options('/broadcasting/auth', cors());
  router.post(
    '/broadcasting/auth',
    cors(),
    express.urlencoded({ extended: false, limit: '16kb' }),
    express.json({ limit: '16kb' }),
    async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const socketId = body.socket_id;
      const channel = body.channel_name;
      if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) {
        res.status(400).json({ message: 'socket_id is missing or malformed' });
        return;
      }
      if (!isChannelName(channel, PUSHER_CHANNEL_NAME_MAX_LENGTH)) {
        res.status(400).json({ message: 'channel_name is missing or malformed' });
        return;
      }
      const viewer = await authenticated(auth, req, res);
      if (!viewer) return;
      const userId = viewer.user.id;
      const member = channel.startsWith('presence-') ? await presence?.(viewer, channel) : undefined;
      if (channelOwner(channel) !== userId && member === undefined) {
        res.status(403).json({ message: `You may not subscribe to ${channel}` });
        return;
      }
      try {
        await announceBinding?.({ socketId, channel, sessionId: viewer.sessionId, userId });
      } catch {
        // Unannounced, the subscription would outlive the session: no signature rather than an unbound one.
        res.status(503).json({ message: 'Try again shortly' });
        return;
      }
      res.json(
        member === undefined
          ? { auth: gateway.authorizeChannel(socketId, channel) }
          : gateway.authorizePresenceChannel(socketId, channel, member),
      );
    },
  );
  // Pusher user authentication (`pusher.signin()`), at the path Laravel serves it: the token's user, signed.
  router.options('/broadcasting/user-auth', cors());
  router.post(
    '/broadcasting/user-auth',
    cors(),
    express.urlencoded({ extended: false, limit: '16kb' }),
    express.json({ limit: '16kb' }),
    async (req: Request, res: Response) => {
      const socketId = ((req.body ?? {}) as Record<string, unknown>).socket_id;
      if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) {
        res.status(400).json({ message: 'socket_id is missing or malformed' });
        return;
      }
      const viewer = await authenticated(auth, req, res);
      if (!viewer) return;
      const userId = viewer.user.id;
      try {
        await announceBinding?.({
          socketId,
          channel: serverToUserChannel(String(userId)),
          sessionId: viewer.sessionId,
          userId,
        });
      } catch {
        res.status(503).json({ message: 'Try again shortly' });
        return;
      }
      res.json(
        gateway.authenticateUser(socketId, {
          id: String(userId),
          user_info: { id: userId, name: viewer.user.name },
        }),
      );
    },
  );
  return router;
}

/** The viewer of the request's bearer token; otherwise answers 401 and resolves to undefined. */
async function authenticated(auth: AuthService, req: Request, res: Response): Promise<Viewer | undefined> {
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    res.status(401).json({ message: 'Authorization: Bearer <accessToken> is required' });
    return undefined;
  }
  try {
    return await auth.authenticate(token);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    res.status(401).json({ message: error.message });
    return undefined;
  }
}

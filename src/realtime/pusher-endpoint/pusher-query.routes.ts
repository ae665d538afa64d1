import { type Request, Router } from 'express';
import { isChannelName } from '../channel-name';
import type { ChannelCount } from './channel-census';
import { type PusherApp, PusherApiError, signed } from './pusher-api';

/** What the query API reads and does, over every instance. */
export interface PusherQueries {
  count(filter: { prefix: string; channel?: string }): Promise<Map<string, ChannelCount>>;
  terminateUser(userId: string): Promise<void>;
}

const INFO_ATTRIBUTES = new Set(['user_count', 'subscription_count']);
const isPresence = (channel: string) => channel.startsWith('presence-');

function stringParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new PusherApiError(400, `${name} must be given once`);
  return value;
}

/** The `info` attributes asked for; `user_count` only where every channel is a presence channel, as Pusher rules. */
function infoOf(req: Request, presenceOnly: boolean): Set<string> {
  const info = new Set((stringParam(req, 'info') ?? '').split(',').filter((name) => name.length > 0));
  for (const name of info) {
    if (!INFO_ATTRIBUTES.has(name))
      throw new PusherApiError(400, `info ${name.slice(0, 50)} is not supported`);
  }
  if (info.has('user_count') && !presenceOnly) {
    throw new PusherApiError(400, 'user_count is only for presence channels');
  }
  return info;
}

function attributes(count: ChannelCount, info: Set<string>): Record<string, number> {
  return {
    ...(info.has('user_count') ? { user_count: count.userIds.size } : {}),
    ...(info.has('subscription_count') ? { subscription_count: count.subscriptionCount } : {}),
  };
}

function channelParam(req: Request): string {
  const channel = req.params.channel;
  if (!isChannelName(channel, 200)) throw new PusherApiError(400, 'invalid channel name');
  return channel;
}

/**
 * Pusher's HTTP query API (`GET /apps/{id}/channels`, `/channels/{name}`, `/channels/{name}/users`) and
 * `POST /apps/{id}/users/{user_id}/terminate_connections`, signed like the events API, answering for every instance.
 */
export function pusherQueryRoutes(app: PusherApp, queries: PusherQueries): Router {
  const router = Router();
  router.get(
    '/apps/:appId/channels',
    ...signed(app, async (req, res) => {
      const prefix = stringParam(req, 'filter_by_prefix') ?? '';
      const info = infoOf(req, isPresence(prefix));
      const counts = await queries.count({ prefix });
      const channels: Record<string, Record<string, number>> = {};
      for (const [channel, count] of counts) channels[channel] = attributes(count, info);
      res.json({ channels });
    }),
  );
  router.get(
    '/apps/:appId/channels/:channel',
    ...signed(app, async (req, res) => {
      const channel = channelParam(req);
      const info = infoOf(req, isPresence(channel));
      const count = (await queries.count({ prefix: channel, channel })).get(channel);
      const occupied = count !== undefined && count.subscriptionCount > 0;
      res.json({ occupied, ...attributes(count ?? { subscriptionCount: 0, userIds: new Set() }, info) });
    }),
  );
  router.get(
    '/apps/:appId/channels/:channel/users',
    ...signed(app, async (req, res) => {
      const channel = channelParam(req);
      if (!isPresence(channel)) throw new PusherApiError(400, 'users are only listed for presence channels');
      const count = (await queries.count({ prefix: channel, channel })).get(channel);
      res.json({ users: [...(count?.userIds ?? [])].map((id) => ({ id })) });
    }),
  );
  router.post(
    '/apps/:appId/users/:userId/terminate_connections',
    ...signed(app, async (req, res) => {
      const userId = String(req.params.userId);
      if (userId.length === 0 || userId.length > 200) throw new PusherApiError(400, 'invalid user id');
      await queries.terminateUser(userId);
      res.json({});
    }),
  );
  return router;
}

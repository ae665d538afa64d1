import { type Request, type Response, Router } from 'express';
import type { PusherBroadcast } from '../../events/shared-bus';
import { isChannelName, PUSHER_CHANNEL_NAME_MAX_LENGTH } from '../channel-name';
import { serverToUserOf } from './user-auth';
import { bodyOf, type PusherApp, PusherApiError as ApiError, signed } from './pusher-api';

export type { PusherApp } from './pusher-api';

// The limits Pusher Channels documents for its HTTP API.
const MAX_DATA_BYTES = 10 * 1024;
const MAX_CHANNELS = 100;
const MAX_BATCH = 10;

function readEvent(raw: unknown, channelsKey: 'channels' | 'channel'): PusherBroadcast[] {
  if (typeof raw !== 'object' || raw === null) throw new ApiError(400, 'each event must be an object');
  const event = raw as Record<string, unknown>;
  if (typeof event.name !== 'string' || event.name.length === 0 || event.name.length > 200) {
    throw new ApiError(400, 'name must be a string of 1 to 200 characters');
  }
  if (typeof event.data !== 'string') throw new ApiError(400, 'data must be a string');
  if (Buffer.byteLength(event.data) > MAX_DATA_BYTES) throw new ApiError(413, 'data is larger than 10 KB');
  const channels =
    channelsKey === 'channel' || (event.channels === undefined && typeof event.channel === 'string')
      ? [event.channel]
      : event.channels;
  if (!Array.isArray(channels) || channels.length === 0)
    throw new ApiError(400, 'channels must be a non-empty list');
  if (channels.length > MAX_CHANNELS) throw new ApiError(400, `at most ${MAX_CHANNELS} channels per event`);
  for (const channel of channels) {
    // sendToUser triggers to `#server-to-user-{id}`, the one name outside the channel characters.
    if (
      !isChannelName(channel, PUSHER_CHANNEL_NAME_MAX_LENGTH) &&
      serverToUserOf(String(channel)) === undefined
    )
      throw new ApiError(400, 'invalid channel name');
  }
  const excludeSocketId = typeof event.socket_id === 'string' ? event.socket_id : undefined;
  return (channels as string[]).map((channel) => ({
    channel,
    event: event.name as string,
    data: event.data as string,
    excludeSocketId,
  }));
}

/**
 * The Pusher Channels HTTP events API (`POST /apps/{app_id}/events` and `/batch_events`), signed as the `pusher`
 * SDK signs it. Accepted events go to `deliver`, which reaches the sockets of every instance.
 */
export function pusherEventsRoutes(
  app: PusherApp,
  deliver: (broadcasts: PusherBroadcast[]) => Promise<void>,
): Router {
  const router = Router();
  const handle = (batch: boolean) => async (req: Request, res: Response) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyOf(req).toString('utf8'));
    } catch {
      throw new ApiError(400, 'the body must be JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError(400, 'the body must be a JSON object');
    }
    let broadcasts: PusherBroadcast[];
    if (batch) {
      const list = (parsed as { batch?: unknown }).batch;
      if (!Array.isArray(list) || list.length === 0)
        throw new ApiError(400, 'batch must be a non-empty list');
      if (list.length > MAX_BATCH) throw new ApiError(400, `at most ${MAX_BATCH} events per batch`);
      broadcasts = list.flatMap((event) => readEvent(event, 'channel'));
    } else {
      broadcasts = readEvent(parsed, 'channels');
    }
    await deliver(broadcasts);
    res.status(200).json({});
  };
  router.post('/apps/:appId/events', ...signed(app, handle(false)));
  router.post('/apps/:appId/batch_events', ...signed(app, handle(true)));
  return router;
}

import type { EventSink } from './event-sink';
import type { PusherFeed } from './pusher-feed';

/**
 * The outside Pusher service: fed from the log under its own leases (`PusherFeed`), not from this reader's batch;
 * new events only wake the feed, so partitions this instance owns go out at once.
 */
export function pusherFeedSink(feed: PusherFeed): EventSink {
  return {
    name: 'Pusher service',
    deliver: () => feed.kick(),
  };
}

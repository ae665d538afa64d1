import { channelsOf } from '../events/realtime-event';
import type { PusherSocketServer } from '../realtime/pusher-endpoint/pusher-socket.server';
import type { EventSink } from './event-sink';

/** This instance's built-in Pusher sockets: each event on the private channel of each recipient. */
export function builtInPusherSink(sockets: PusherSocketServer): EventSink {
  return {
    name: 'built-in Pusher',
    deliver(events) {
      for (const event of events) {
        for (const channel of channelsOf(event)) {
          sockets.deliver({ channel, event: event.name, data: event.payload, eventId: event.id });
        }
      }
    },
  };
}

import type { GraphQLClient } from './graphql-client';

export const EVENT_FIELDS =
  'id name createdAt message { id detail status senderId receiverId } notification { id title status receiverId }';
export const REALTIME_EVENTS = `query R($after: ID, $first: Int, $userId: ID) {
  realtimeEvents(after: $after, first: $first, userId: $userId) { events { ${EVENT_FIELDS} } hasMore lastId }
}`;

export interface EventData {
  id: string;
  name: string;
  createdAt: string;
  message: { id: string; detail: string; status: string; senderId: string; receiverId: string } | null;
  notification: { id: string; title: string; status: string; receiverId: string } | null;
}

export interface EventPage {
  events: EventData[];
  hasMore: boolean;
  lastId: string;
}

/** One page of the catch-up query. */
export async function eventPage(
  client: GraphQLClient,
  token: string,
  variables: { after?: string; first?: number; userId?: string },
): Promise<EventPage> {
  const { realtimeEvents } = await client.ok<{ realtimeEvents: EventPage }>(
    REALTIME_EVENTS,
    variables,
    token,
  );
  return realtimeEvents;
}

/** Every event after `after`, page by page, as a client catching up reads them. */
export async function catchUp(
  client: GraphQLClient,
  token: string,
  after: string,
  first = 100,
): Promise<{ events: EventData[]; lastId: string }> {
  const events: EventData[] = [];
  let position = after;
  for (;;) {
    const page = await eventPage(client, token, { after: position, first });
    events.push(...page.events);
    position = page.lastId;
    if (!page.hasMore) return { events, lastId: position };
  }
}

/** The position "now" of a user: where a client starts. */
export async function newestEventId(client: GraphQLClient, token: string): Promise<string> {
  return (await eventPage(client, token, {})).lastId;
}

export const RESUME = (after: string | undefined) =>
  `subscription { realtimeEvents${after === undefined ? '' : `(after: "${after}")`} { ${EVENT_FIELDS} } }`;

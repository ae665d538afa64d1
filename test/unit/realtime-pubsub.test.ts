import { RealtimeEventName, type RealtimeEvent } from '../../src/events/realtime-event';
import { LiveTopic, LiveTopics } from '../../src/realtime/live-topics';
import { RealtimePubSub, SubscriptionQueueFull, Topic } from '../../src/realtime/topics';

const event = (id: string): RealtimeEvent => ({
  id,
  name: RealtimeEventName.MESSAGE_CREATED,
  recipientIds: [7],
  payload: `{"id":${id}}`,
});

describe('RealtimePubSub', () => {
  it('delivers in order what was published before and after each next, to that user only', async () => {
    const pubSub = new RealtimePubSub();
    const mine = pubSub.subscribe(Topic.MESSAGE_CREATED, '7');
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('1'));
    pubSub.publish(Topic.MESSAGE_CREATED, '8', event('99'));
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('2'));
    expect((await mine.next()).value).toEqual(event('1'));
    expect((await mine.next()).value).toEqual(event('2'));
    const waiting = mine.next();
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('3'));
    expect(await waiting).toEqual({ done: false, value: event('3') });
  });

  it('frees the listener on return, ending a next that waits, and delivers nothing after', async () => {
    const pubSub = new RealtimePubSub();
    const mine = pubSub.subscribe(Topic.MESSAGE_CREATED, '7');
    expect(pubSub.listenerCount(Topic.MESSAGE_CREATED, '7')).toBe(1);
    const waiting = mine.next();
    await mine.return?.();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(pubSub.listenerCount(Topic.MESSAGE_CREATED, '7')).toBe(0);
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('4'));
    expect(await mine.next()).toEqual({ done: true, value: undefined });
  });

  it('answers reads made without waiting for each other in the order they were made, and ends them all', async () => {
    const pubSub = new RealtimePubSub();
    const mine = pubSub.subscribe(Topic.MESSAGE_CREATED, '7');
    const reads = [mine.next(), mine.next(), mine.next()];
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('1'));
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('2'));
    expect((await reads[0]).value).toEqual(event('1'));
    expect((await reads[1]).value).toEqual(event('2'));
    const later = mine.next();
    await mine.return?.();
    expect(await reads[2]).toEqual({ done: true, value: undefined });
    expect(await later).toEqual({ done: true, value: undefined });
  });

  it('hands a subscription each event id once, even when an event is published to it again', async () => {
    const pubSub = new RealtimePubSub();
    const mine = pubSub.subscribe(Topic.MESSAGE_CREATED, '7');
    for (const id of ['1', '2', '2', '1', '3']) pubSub.publish(Topic.MESSAGE_CREATED, '7', event(id));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await mine.next()).value?.id);
    expect(ids).toEqual(['1', '2', '3']);
    const waiting = mine.next();
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('3'));
    pubSub.publish(Topic.MESSAGE_CREATED, '7', event('4'));
    expect((await waiting).value).toEqual(event('4'));
  });
});

describe('bounded subscription queues', () => {
  it('ends a subscription whose reader fell more than its limit behind, holding nothing', async () => {
    const pubSub = new RealtimePubSub(2);
    const mine = pubSub.subscribe(Topic.MESSAGE_CREATED, '7');
    for (const id of ['1', '2', '3', '4']) pubSub.publish(Topic.MESSAGE_CREATED, '7', event(id));
    expect(pubSub.listenerCount(Topic.MESSAGE_CREATED, '7')).toBe(0);
    await expect(mine.next()).rejects.toBeInstanceOf(SubscriptionQueueFull);
    expect(await mine.next()).toEqual({ done: true, value: undefined });
  });

  it('does the same for presence and typing changes', async () => {
    const topics = new LiveTopics(1);
    const mine = topics.subscribe(LiveTopic.TYPING_CHANGED, [7]);
    for (const typing of [true, false, true]) {
      topics.publish(LiveTopic.TYPING_CHANGED, 7, { typistId: 1, receiverId: 7, typing });
    }
    expect(topics.listenerCount(LiveTopic.TYPING_CHANGED, 7)).toBe(0);
    await expect(mine.next()).rejects.toBeInstanceOf(SubscriptionQueueFull);
    expect(await mine.next()).toEqual({ done: true, value: undefined });
  });

  it('completes every open presence and typing subscription when the bus broke, freeing their listeners', async () => {
    const topics = new LiveTopics();
    const waiting = topics.subscribe(LiveTopic.PRESENCE_CHANGED, [7]);
    const idle = topics.subscribe(LiveTopic.TYPING_CHANGED, [7, 8]);
    const pending = waiting.next();
    topics.interrupt();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await idle.next()).toEqual({ done: true, value: undefined });
    expect(topics.listenerCount(LiveTopic.PRESENCE_CHANGED, 7)).toBe(0);
    expect(topics.listenerCount(LiveTopic.TYPING_CHANGED, 8)).toBe(0);
    // One opened afterwards listens as usual.
    const fresh = topics.subscribe(LiveTopic.TYPING_CHANGED, [7]);
    topics.publish(LiveTopic.TYPING_CHANGED, 7, { typistId: 1, receiverId: 7, typing: true });
    expect((await fresh.next()).value).toEqual({ typistId: 1, receiverId: 7, typing: true });
  });
});

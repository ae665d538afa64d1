import { parse, validate } from 'graphql';
import { createSchema } from '../../src/graphql/schema';
import { createRealtimePubSub } from '../../src/realtime/topics';
import { EXAMPLE_TABS } from '../../web/graphiql/examples';

it('every GraphiQL example tab is valid against the schema, and one shows presence and typing', async () => {
  const schema = await createSchema(createRealtimePubSub());
  for (const tab of EXAMPLE_TABS) {
    expect(validate(schema, parse(tab.query)).map((error) => error.message)).toEqual([]);
  }
  const live = EXAMPLE_TABS.find((tab) => tab.query.includes('presenceChanged'));
  expect(live?.query).toContain('typingChanged');
});

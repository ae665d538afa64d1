// The stack's own floor for the read benchmark: Apollo Server 5 on express 5, mounted as the server mounts it
// (cors, JSON body, cache control off), executing the project's schema.graphql with answers held in memory. No
// database, no authentication, no resolver work: what is left is what Apollo, express and graphql-js cost alone.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { buildSchema } from 'graphql';

/** The answers the bare handler gave, keyed by root field (`me`, `conversation`). */
const answers = JSON.parse(process.env.FLOOR_ANSWERS ?? '{}') as Record<string, unknown>;
const schema = buildSchema(readFileSync(path.join(process.cwd(), 'schema.graphql'), 'utf8'));

async function main() {
  const apollo = new ApolloServer({
    schema,
    rootValue: { me: () => answers.me, conversation: () => answers.conversation },
    plugins: [ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/ready', (_req, res) => {
    res.send('ok');
  });
  app.use('/graphql', cors(), express.json({ limit: '1mb' }), expressMiddleware(apollo));
  const server = createServer(app).listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    void apollo.stop().then(() => process.exit(0));
  });
}

void main();

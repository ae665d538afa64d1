import autocannon from 'autocannon';
import type { BenchContext } from '../context';
import { type Started, startBaseline } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

const USER_FIELDS = 'id email name phonenumber address role status imageLink createdAt updatedAt';
const CONVERSATION = `query ($other: ID!) { conversation(otherUserId: $other, first: 20) {
  id detail status senderId receiverId createdAt updatedAt sender { ${USER_FIELDS} } receiver { ${USER_FIELDS} } } }`;
const ME = `query { me { ${USER_FIELDS} } }`;

interface Figures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Fails unless the endpoint answers this query as the benchmark expects, so load is never measured on errors. */
async function checkAnswer(
  url: string,
  token: string,
  body: string,
  expect: (data: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const json = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (!res.ok || !json.data || json.errors || !expect(json.data)) {
    throw new Error(`read: unexpected answer from ${url}: ${JSON.stringify(json).slice(0, 500)}`);
  }
  return json.data;
}

async function load(
  url: string,
  token: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** The conversation page and `me` at N connections, against the server and the bare node:http + pg handler. */
export async function readBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const [me, other] = ctx.data.users;
  const queries = {
    conversation: {
      body: JSON.stringify({ query: CONVERSATION, variables: { other: String(other.id) } }),
      expect: (data: Record<string, unknown>) =>
        Array.isArray(data.conversation) &&
        data.conversation.length === 20 &&
        data.conversation.every((m: { sender?: unknown; receiver?: unknown }) => m.sender && m.receiver),
    },
    me: {
      body: JSON.stringify({ query: ME }),
      expect: (data: Record<string, unknown>) => data.me !== undefined,
    },
  };
  const baseline = await startBaseline('read-server.ts', ctx.baselineEnv);
  const figures: Record<string, { project: Figures; baseline: Figures; stackFloor: Figures }> = {};
  const rows: ResultRow[] = [];
  let floor: Started | undefined;
  try {
    const serverUrl = `${ctx.server.url}/graphql`;
    const baselineUrl = `${baseline.url}/graphql`;
    const answers: Record<string, unknown> = {};
    for (const query of Object.values(queries)) {
      await checkAnswer(serverUrl, me.token, query.body, query.expect);
      Object.assign(answers, await checkAnswer(baselineUrl, me.token, query.body, query.expect));
    }
    floor = await startBaseline('stack-floor.ts', { FLOOR_ANSWERS: JSON.stringify(answers) });
    const floorUrl = `${floor.url}/graphql`;
    for (const [name, query] of Object.entries(queries)) {
      await checkAnswer(floorUrl, me.token, query.body, query.expect);
      const { readConnections: connections, readSeconds: seconds } = ctx.sizes;
      const project = await load(serverUrl, me.token, query.body, connections, seconds);
      const bare = await load(baselineUrl, me.token, query.body, connections, seconds);
      const stackFloor = await load(floorUrl, me.token, query.body, connections, seconds);
      figures[name] = { project, baseline: bare, stackFloor };
      const rate = ratio(project.requestsPerSecond, bare.requestsPerSecond);
      const p99 = ratio(project.p99Ms, bare.p99Ms);
      const clean = project.non2xx === 0 && project.errors === 0;
      rows.push(
        {
          what: `read ${name}: req/s (${connections} conn)`,
          project: String(project.requestsPerSecond),
          baseline: String(bare.requestsPerSecond),
          ratio: rate,
          target: '>= 0.6x',
          met: clean && rate >= 0.6,
        },
        {
          what: `read ${name}: p50 / p99 ms`,
          project: `${fixed(project.p50Ms)} / ${fixed(project.p99Ms)}`,
          baseline: `${fixed(bare.p50Ms)} / ${fixed(bare.p99Ms)}`,
          ratio: p99,
          target: 'p99 <= 2x',
          met: clean && p99 <= 2,
        },
        {
          // Not a target: where the stack alone stands against the same bare handler.
          what: `read ${name}: Apollo + express alone (from memory), req/s`,
          project: String(stackFloor.requestsPerSecond),
          baseline: String(bare.requestsPerSecond),
          ratio: ratio(stackFloor.requestsPerSecond, bare.requestsPerSecond),
          target: 'none: the stack floor',
          met: undefined,
        },
      );
    }
  } finally {
    await floor?.stop();
    await baseline.stop();
  }
  return { name: 'read', rows, figures };
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from './metrics';

/** Counts each GraphQL HTTP request by operation name and outcome: `ok`, or the first error's code. */
export function requestMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, errors, operationName }) {
          const body = response.body;
          const first =
            errors?.[0] ?? (body.kind === 'single' ? body.singleResult.errors?.[0] : undefined) ?? undefined;
          const code = first?.extensions?.code;
          metrics.request(
            operationName ?? request.operationName ?? undefined,
            first ? (typeof code === 'string' ? code : 'ERROR') : 'ok',
          );
        },
      };
    },
  };
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from './metrics';

/**
 * Counts each GraphQL HTTP request by operation name and outcome: `ok`, or the first error's code. The name is the
 * one the parsed document gives the operation that ran; the `operationName` a client sends is never a label.
 */
export function requestMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, errors, operation }) {
          const body = response.body;
          const first =
            errors?.[0] ?? (body.kind === 'single' ? body.singleResult.errors?.[0] : undefined) ?? undefined;
          const code = first?.extensions?.code;
          metrics.request(
            operation !== undefined,
            operation?.name?.value,
            first ? (typeof code === 'string' ? code : 'ERROR') : 'ok',
          );
        },
      };
    },
  };
}

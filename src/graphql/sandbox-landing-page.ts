import type { ApolloServerPlugin } from '@apollo/server';

// Apollo's embeddable Sandbox is only served from Apollo's CDN; /graphiql is the offline alternative.
const SANDBOX_SCRIPT =
  'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>JobWarehouse GraphQL API</title>
    <style>
      html, body { height: 100%; margin: 0; font-family: system-ui, sans-serif; }
      body { display: flex; flex-direction: column; }
      header { padding: 0.5rem 1rem; background: #1d2330; color: #fff; }
      header a { color: #9cc3ff; }
      #embedded-sandbox { flex: 1; }
    </style>
  </head>
  <body>
    <header>
      JobWarehouse GraphQL API. No internet here? Use <a href="/graphiql/">GraphiQL</a>, served by this server, or
      watch Pusher events on <a href="/test/listen/">/test/listen</a>.
    </header>
    <div id="embedded-sandbox"></div>
    <script src="${SANDBOX_SCRIPT}"></script>
    <script>
      var endpoint = window.location.origin + '/graphql';
      if (window.EmbeddedSandbox) {
        new window.EmbeddedSandbox({
          target: '#embedded-sandbox',
          initialEndpoint: endpoint,
          initialSubscriptionEndpoint: endpoint.replace(/^http/, 'ws'),
          endpointIsEditable: false,
          runTelemetry: false,
          initialState: {
            includeCookies: false,
            sharedHeaders: { Authorization: 'Bearer <accessToken from the login mutation>' },
          },
        });
      } else {
        document.getElementById('embedded-sandbox').innerHTML =
          '<p style="padding:1rem">Apollo Sandbox could not be loaded (no internet?). Use <a href="/graphiql/">GraphiQL</a> instead.</p>';
      }
    </script>
  </body>
</html>`;

/** The page a browser gets at `/graphql`: Apollo Sandbox for this endpoint and its subscriptions. */
export function sandboxLandingPage(): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: page };
        },
      };
    },
  };
}

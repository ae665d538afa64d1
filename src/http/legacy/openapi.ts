import type { LegacyField, LegacyRoute } from './legacy-route';
import { COMPONENT_SCHEMAS } from './schemas';

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const fieldSchema = (field: LegacyField) => ({
  type: field.type ?? 'string',
  description: field.description,
  ...(field.enum === undefined ? {} : { enum: field.enum }),
});

/** `/admin/user/:id` as OpenAPI writes it: `/admin/user/{id}`. */
const openApiPath = (path: string) => `/api${path.replace(/:(\w+)/g, '{$1}')}`;

function operation(route: LegacyRoute): Record<string, unknown> {
  const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'integer' },
  }));
  // Laravel merged the query string with the body, so a GET reads the query and a POST the body (or the query).
  const fields =
    route.method === 'get'
      ? {
          parameters: [
            ...pathParameters,
            ...route.fields.map((field) => ({
              name: field.name,
              in: 'query',
              required: field.required === true,
              schema: fieldSchema(field),
            })),
          ],
        }
      : {
          parameters: pathParameters,
          requestBody: {
            required: route.fields.some((field) => field.required),
            content: Object.fromEntries(
              ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'].map((type) => [
                type,
                {
                  schema: {
                    type: 'object',
                    required: route.fields.filter((field) => field.required).map((field) => field.name),
                    properties: Object.fromEntries(
                      route.fields.map((field) => [field.name, fieldSchema(field)]),
                    ),
                  },
                },
              ]),
            ),
          },
        };
  return {
    summary: route.summary,
    ...fields,
    ...(route.auth === 'none'
      ? { security: [] }
      : route.auth === 'optional'
        ? { security: [{}, { bearer: [] }] }
        : {}),
    responses: {
      [route.path === '/auth/register' ? '201' : '200']: {
        description: 'Done, or refused: the refusal answers 200 too, as the Laravel controllers did.',
        content: json({ oneOf: [route.answers, ref('Refusal')] }),
      },
      ...(route.auth === 'required'
        ? {
            '401': {
              description: 'No, a forged, an ended or a banned token.',
              content: json(ref('Unauthenticated')),
            },
          }
        : {}),
      ...Object.fromEntries(
        Object.entries(route.otherAnswers ?? {}).map(([status, { description, schema }]) => [
          status,
          { description, content: json(schema) },
        ]),
      ),
      '429': {
        description: 'THROTTLE_LEGACY_API_PER_IP reached; see Retry-After.',
        content: json(ref('Problem')),
      },
    },
  };
}

/** The OpenAPI 3.1 description of the legacy routes, made from the same table the router is built from. */
export function openApiDocument(routes: readonly LegacyRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'JobWarehouse legacy HTTP API',
      version: '1.0.0',
      description:
        'The Laravel routes the installed apps call, answered by the services behind the GraphQL API. ' +
        'Bodies may be form-encoded, multipart or JSON, merged over the query string. See docs/MIGRATING.md.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: COMPONENT_SCHEMAS,
    },
    security: [{ bearer: [] }],
  };
}

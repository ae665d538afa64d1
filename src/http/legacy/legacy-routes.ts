import { adminRoutes } from './admin.routes';
import { authRoutes } from './auth.routes';
import { chatRoutes } from './chat.routes';
import type { LegacyDeps } from './legacy-deps';
import type { LegacyAnswer, LegacyRoute } from './legacy-route';
import { notificationRoutes } from './notification.routes';
import { openApiDocument } from './openapi';
import { userRoutes } from './user.routes';

/** Every legacy route, one module per Laravel controller, and `/api/openapi.json` describing them. */
export function legacyRoutes(deps: LegacyDeps): LegacyRoute[] {
  const routes = [
    ...authRoutes(deps),
    ...chatRoutes(deps),
    ...notificationRoutes(deps),
    ...adminRoutes(deps),
    ...userRoutes(deps),
  ];
  let document: Record<string, unknown> | undefined;
  const description: LegacyRoute = {
    method: 'get',
    path: '/openapi.json',
    summary: 'This description.',
    auth: 'none',
    fields: [],
    failure: 'Có lỗi xảy ra',
    errorDetail: false,
    answers: { type: 'object' },
    // Made on first request, from the table this route is part of.
    handle: (): Promise<LegacyAnswer> => Promise.resolve({ body: (document ??= openApiDocument(all)) }),
  };
  const all: LegacyRoute[] = [...routes, description];
  return all;
}

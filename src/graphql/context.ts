import type { ContainerType } from 'type-graphql';
import { unauthenticated } from '../errors';
import { bearerToken } from '../http/bearer-token';
import type { Throttles } from '../http/throttles';
import type { AuthService } from '../services/auth.service';
import type { Viewer } from '../services/viewer';
import type { Loaders } from './loaders';

/** What every resolver of one operation shares. */
export interface GraphQLContext {
  /** Resolves to the authenticated viewer, or rejects with why the credentials were refused. */
  readonly viewer: () => Promise<Viewer>;
  readonly loaders: Loaders;
  /** The resolver instances of the server that runs this operation. */
  readonly container: ContainerType;
  /** On a subscription socket: the user it authenticated as. */
  readonly subscriber?: Viewer;
  readonly throttles: Throttles;
  /** Whom per-IP throttles count against: the client IP, of the request or of the socket's upgrade request. */
  readonly client: string;
}

/**
 * Authentication is checked lazily and once: `login` or `register` work even when a client still sends a stale
 * token, and an operation that needs the viewer learns exactly why the token was refused.
 */
export function viewerResolver(auth: AuthService, authorization: unknown): () => Promise<Viewer> {
  let viewer: Promise<Viewer> | undefined;
  return () => {
    if (viewer === undefined) {
      const token = bearerToken(authorization);
      viewer =
        token === undefined
          ? Promise.reject(
              unauthenticated(
                authorization === undefined
                  ? 'You must be logged in to do this.'
                  : 'The Authorization header must be "Bearer <accessToken>".',
              ),
            )
          : auth.authenticate(token);
      // Read only by resolvers that need it; the others must not see an unhandled rejection.
      viewer.catch(() => undefined);
    }
    return viewer;
  };
}

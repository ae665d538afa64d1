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
  readonly viewer: ViewerLookup;
  readonly loaders: Loaders;
  /** The resolver instances of the server that runs this operation. */
  readonly container: ContainerType;
  /** On a subscription socket: the user it authenticated as. */
  readonly subscriber?: Viewer;
  readonly throttles: Throttles;
  /** Whom per-IP throttles count against: the client IP, of the request or of the socket's upgrade request. */
  readonly client: string;
}

/** Resolves the viewer once per operation; `settled()` answers without a promise once it has. */
export interface ViewerLookup {
  (): Promise<Viewer>;
  /** The viewer, `null` when refused, `undefined` while not yet known. */
  settled(): Viewer | null | undefined;
}

/** A viewer known in advance, as on a subscription socket. */
export function knownViewer(viewer: Viewer): ViewerLookup {
  const promise = Promise.resolve(viewer);
  return Object.assign(() => promise, { settled: () => viewer });
}

/**
 * The context of one operation on a subscription socket. A subscription holds it for the socket's life and most never
 * look the viewer up or load a user, so both are made on first use; and it is a class because an object literal with
 * a getter is kept by V8 as a dictionary, about half a KiB for each open subscription.
 */
export class SocketContext implements GraphQLContext {
  private lookup: ViewerLookup | undefined = undefined;
  private made: Loaders | undefined = undefined;

  constructor(
    readonly subscriber: Viewer,
    readonly client: string,
    readonly container: ContainerType,
    readonly throttles: Throttles,
    private readonly createLoaders: () => Loaders,
  ) {}

  get viewer(): ViewerLookup {
    return (this.lookup ??= knownViewer(this.subscriber));
  }

  get loaders(): Loaders {
    return (this.made ??= this.createLoaders());
  }
}

/**
 * Authentication is checked lazily and once: `login` or `register` work even when a client still sends a stale
 * token, and an operation that needs the viewer learns exactly why the token was refused.
 */
export function viewerResolver(auth: AuthService, authorization: unknown): ViewerLookup {
  let viewer: Promise<Viewer> | undefined;
  let settled: Viewer | null | undefined;
  const lookup = () => {
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
      viewer.then(
        (known) => (settled = known),
        () => (settled = null),
      );
    }
    return viewer;
  };
  return Object.assign(lookup, { settled: () => settled });
}

import type { Throttles } from '../throttles';
import type { Services } from '../../services/services';

/** What the legacy route modules call: the services both APIs share, the shared throttles, the token lifetime. */
export interface LegacyDeps {
  readonly services: Services;
  readonly throttles: Throttles;
  readonly legacyTokenTtlSeconds: number;
}

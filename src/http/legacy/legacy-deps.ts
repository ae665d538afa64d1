import type { Services } from '../../services/services';

/**
 * What the legacy route modules call: the services both APIs share (which count their own throttled attempts), and
 * the token lifetime of the legacy login.
 */
export interface LegacyDeps {
  readonly services: Services;
  readonly legacyTokenTtlSeconds: number;
}

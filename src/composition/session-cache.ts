import type { DataSource } from 'typeorm';
import type { SharedBus } from '../events/shared-bus';
import type { Logger } from '../logger';
import type { AuthService } from '../services/auth.service';
import { onSessionChange } from '../subscribers/session-change.subscriber';

/**
 * Keeps every instance's session cache in step: a committed change of a user or their sessions is forgotten here
 * at once, before the request that made it answers, and on the other instances as soon as the bus carries it. A
 * break of the bus may have lost some, so the whole cache goes.
 */
export async function watchSessionChanges(
  dataSource: DataSource,
  bus: SharedBus,
  auth: AuthService,
  logger: Logger,
): Promise<void> {
  await bus.subscribe('sessions-changed', (message) => auth.forgetSessions(message.userIds));
  bus.onReconnect(() => auth.clearSessionCache());
  onSessionChange(dataSource, (userIds) => {
    auth.forgetSessions(userIds);
    bus.publish('sessions-changed', { userIds }).catch((error: unknown) => {
      logger.error({ err: error, userIds }, 'could not announce changed sessions');
    });
  });
}

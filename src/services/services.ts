import type { DataSource } from 'typeorm';
import type { SessionNotices } from '../events/session-notices';
import type { Throttles } from '../http/throttles';
import { AuthService } from './auth.service';
import { MessageService } from './message.service';
import { NotificationService } from './notification.service';
import { PasswordHasher } from './password-hasher';
import { RealtimeEventService } from './realtime-event.service';
import { TokenSigner } from './token-signer';
import { UserService } from './user.service';

export interface Services {
  readonly dataSource: DataSource;
  readonly auth: AuthService;
  readonly users: UserService;
  readonly messages: MessageService;
  readonly notifications: NotificationService;
  readonly realtimeEvents: RealtimeEventService;
  readonly hasher: PasswordHasher;
}

export interface ServiceSettings {
  readonly jwtSecret: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** Sessions older than this are refused; 30 days when not given. */
  readonly sessionMaxAgeSeconds?: number;
  /** How long `authenticate` may answer from its cache of sessions (0: never); 0 when not given. */
  readonly sessionCacheTtlMs?: number;
  /** How long events stay replayable; 72 hours when not given. */
  readonly eventRetentionHours?: number;
}

/** Wires the services of one server around its DataSource; each counts its own throttled attempts. */
export function createServices(
  dataSource: DataSource,
  settings: ServiceSettings,
  notices: SessionNotices,
  throttles: Throttles,
): Services {
  const hasher = new PasswordHasher();
  const users = new UserService(dataSource, notices, throttles);
  const signer = new TokenSigner(settings.jwtSecret, settings.accessTokenTtlSeconds);
  return {
    dataSource,
    auth: new AuthService(
      dataSource,
      users,
      hasher,
      signer,
      settings.refreshTokenTtlSeconds,
      notices,
      throttles,
      settings.sessionMaxAgeSeconds,
      settings.sessionCacheTtlMs,
    ),
    users,
    messages: new MessageService(dataSource, throttles),
    notifications: new NotificationService(dataSource),
    realtimeEvents: new RealtimeEventService(dataSource, settings.eventRetentionHours ?? 72),
    hasher,
  };
}

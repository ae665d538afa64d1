import { registerEnumType } from 'type-graphql';

// The values are the legacy database values; type-graphql exposes the keys, so GraphQL sees UPPER_CASE.
export enum UserRole {
  JOBSEEKER = 'jobseeker',
  EMPLOYER = 'employer',
  ADMIN = 'admin',
}

export enum UserStatus {
  ACTIVE = 'active',
  BANNED = 'banned',
}

export enum MessageStatus {
  HIDDEN = 'hidden',
  UNSEEN = 'unseen',
  SEEN = 'seen',
}

export enum NotificationStatus {
  HIDDEN = 'hidden',
  UNSEEN = 'unseen',
  SEEN = 'seen',
}

registerEnumType(UserRole, { name: 'UserRole', description: 'What a user is on the platform.' });
registerEnumType(UserStatus, { name: 'UserStatus', description: 'A banned user cannot log in.' });
registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  description: 'Whether the receiver has seen a message.',
});
registerEnumType(NotificationStatus, {
  name: 'NotificationStatus',
  description: 'Whether the receiver has seen a notification.',
});

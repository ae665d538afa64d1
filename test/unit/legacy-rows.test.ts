import { checkMessage, checkNotification, checkUser } from '../../src/legacy-import/legacy-rows';
import { parseOptions, redact } from '../../src/legacy-import/options';

const user = {
  user_id: 7,
  email: ' Ann@Example.COM ',
  password: '$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi',
  name: 'Ann',
  phonenumber: '0900000007',
  address: 'Huế',
  role: 'jobseeker',
  status: 'active',
  image_link: null,
  created_at: '2021-12-11 13:30:17',
  updated_at: null,
};

it('reads a legacy user: the email as logins look it up, a missing timestamp from the other', () => {
  expect(checkUser(user)).toEqual({
    row: {
      ...user,
      email: 'ann@example.com',
      created_at: '2021-12-11 13:30:17',
      updated_at: '2021-12-11 13:30:17',
    },
  });
  const zero = checkUser({ ...user, created_at: '0000-00-00 00:00:00', updated_at: null });
  expect(zero).toMatchObject({
    row: { created_at: '1970-01-01 00:00:00', updated_at: '1970-01-01 00:00:00' },
  });
});

it.each([
  [{ user_id: 0 }, 'user_id 0 is not an id from 1 to 2147483647'],
  [{ user_id: 3_000_000_000 }, 'user_id 3000000000 is not an id from 1 to 2147483647'],
  [{ name: 'a\u0000b' }, 'name contains a NUL character'],
  [{ phonenumber: '0'.repeat(33) }, 'phonenumber is longer than 32 characters'],
  [{ role: 'moderator' }, 'role "moderator" is not one of jobseeker, employer, admin'],
  [{ status: '' }, 'status "" is not one of active, banned'],
  [{ address: null }, 'address is NULL'],
  [{ created_at: 'yesterday' }, 'created_at "yesterday" is not a date and time'],
])('refuses a user with %j', (change, problem) => {
  expect(checkUser({ ...user, ...change })).toEqual({ problem });
});

it('refuses messages and notifications that break the contract', () => {
  const message = {
    message_id: 1,
    detail: 'x',
    status: 'unseen',
    sender_id: 1,
    receiver_id: 2,
    created_at: null,
  };
  expect(checkMessage({ ...message, status: 'read' })).toEqual({
    problem: 'status "read" is not one of hidden, unseen, seen',
  });
  expect(checkMessage({ ...message, sender_id: null })).toEqual({
    problem: 'sender_id null is not an id from 1 to 2147483647',
  });
  const notification = { notification_id: 1, title: 't', detail: 'd', status: 'seen', receiver_id: 2 };
  expect(checkNotification({ ...notification, title: 'é'.repeat(256) })).toEqual({
    problem: 'title is longer than 255 characters',
  });
  expect(checkNotification(notification)).toMatchObject({ row: { title: 't' } });
});

it('reads the command line, refusing bad values with the reason, and never echoes a password', () => {
  expect(parseOptions(['--from', 'mysql://u:p@h:3306/db'])).toEqual({
    from: 'mysql://u:p@h:3306/db',
    timezone: 'UTC',
    strict: false,
    batchSize: 2000,
  });
  expect(() => parseOptions([])).toThrow(/--from is required/);
  expect(() => parseOptions(['--from', 'postgres://u:secret@h/db'])).toThrow(
    /^--from must be mysql:\/\/USER:PASS@HOST:PORT\/DB \(got postgres:\/\/u:\*\*\*@h\/db\)$/,
  );
  expect(() => parseOptions(['--from', 'mysql://h:3306'])).toThrow(/--from must be/);
  expect(() => parseOptions(['--from', 'mysql://h/db', '--timezone', 'Mars/Olympus'])).toThrow(/--timezone/);
  expect(() => parseOptions(['--from', 'mysql://h/db', '--batch-size', '0'])).toThrow(/--batch-size/);
  expect(() => parseOptions(['--from', 'mysql://h/db', '--wat'])).toThrow(/Unknown option '--wat'/);
  expect(redact('mysql://root:hunter2@db:3306/x')).toBe('mysql://root:***@db:3306/x');
});

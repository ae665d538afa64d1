import { parseArgs } from 'node:util';
import { ImportError } from './import-error';

export interface ImportOptions {
  /** `mysql://USER:PASS@HOST:PORT/DB`: the legacy Laravel database (MySQL 8 or MariaDB). */
  readonly from: string;
  /** The Laravel app's timezone (`config/app.php`), in which its timestamps were written. */
  readonly timezone: string;
  /** Any row that breaks the contract fails the whole run, and nothing is changed. */
  readonly strict: boolean;
  /** Rows read and written per statement. */
  readonly batchSize: number;
}

export const USAGE =
  'usage: npm run import:legacy -- --from mysql://USER:PASS@HOST:PORT/DB [--timezone UTC] [--strict] [--batch-size 2000]';

/** Reads the command line; a bad one is an ImportError naming what is wrong. */
export function parseOptions(argv: readonly string[]): ImportOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        timezone: { type: 'string', default: 'UTC' },
        strict: { type: 'boolean', default: false },
        'batch-size': { type: 'string', default: '2000' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ImportError(`${(error as Error).message}\n${USAGE}`);
  }
  const from = values.from;
  if (from === undefined) throw new ImportError(`--from is required\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    throw new ImportError(`--from is not a URL: ${redact(from)}`);
  }
  if (url.protocol !== 'mysql:' || url.pathname.length <= 1) {
    throw new ImportError(`--from must be mysql://USER:PASS@HOST:PORT/DB (got ${redact(from)})`);
  }
  const timezone = values.timezone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new ImportError(
      `--timezone must be an IANA time zone such as UTC or Asia/Ho_Chi_Minh (got "${timezone}")`,
    );
  }
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
    throw new ImportError(
      `--batch-size must be a whole number from 1 to 50000 (got "${values['batch-size']}")`,
    );
  }
  return { from, timezone, strict: values.strict, batchSize };
}

/** The URL without its password, for messages. */
export function redact(from: string): string {
  try {
    const url = new URL(from);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return from.replace(/:[^:@/]*@/, ':***@');
  }
}

import { validate } from 'class-validator';
import { badInput } from '../../errors';
import { parseId } from '../../graphql/ids';
import { type BeforePage, MAX_PAGE_SIZE } from '../../services/paging';
import type { LegacyInput } from './legacy-route';

// Parsing only: what a parameter must look like to reach a service. The rules themselves are the services'.

const MAX_ID = 2_147_483_647;

/** A text parameter, undefined when absent or empty (Laravel turned empty strings into null). */
export function text(input: LegacyInput, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  // JSON bodies of mobile apps send ids as numbers; PHP read them as the same text.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw badInput(name, 'must be a single text value.');
  return value;
}

export function requiredText(input: LegacyInput, name: string): string {
  const value = text(input, name);
  if (value === undefined) throw badInput(name, 'is required.');
  return value;
}

export function id(input: LegacyInput, name: string): number {
  return parseId(requiredText(input, name).trim(), name);
}

export function optionalId(input: LegacyInput, name: string): number | undefined {
  const value = text(input, name);
  return value === undefined ? undefined : parseId(value.trim(), name);
}

/** One of the given values, or undefined when absent; anything else is refused. */
export function oneOf<T extends string>(
  input: LegacyInput,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = text(input, name);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw badInput(name, `must be one of ${values.join(', ')}.`);
  }
  return value as T;
}

export function requiredOneOf<T extends string>(input: LegacyInput, name: string, values: readonly T[]): T {
  const value = oneOf(input, name, values);
  if (value === undefined) throw badInput(name, `is required, one of ${values.join(', ')}.`);
  return value;
}

/** How many rows a legacy list returns: `get`, default 1 as the controllers had it, at most MAX_PAGE_SIZE. */
export function pageSize(input: LegacyInput): number {
  const value = text(input, 'get');
  if (value === undefined) return 1;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1)
    throw badInput('get', 'must be a whole number from 1.');
  return Math.min(Number(value), MAX_PAGE_SIZE);
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?$/;

/** A date-time as Laravel's apps send it (`2021-11-02 08:00:00`, UTC like the legacy app) or with a zone. */
export function dateTime(value: string, name: string): Date {
  const trimmed = value.trim();
  const local = DATE_TIME.exec(trimmed);
  const date = local ? new Date(`${local[1]}T${local[2] ?? '00:00'}Z`) : new Date(trimmed);
  // PostgreSQL's timestamps begin in 4713 BC; JavaScript reads years far before it. No row is older than year 1.
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1) {
    throw badInput(name, `"${value}" is not a date-time.`);
  }
  return date;
}

/** The legacy cursor: `before` a number is an id, anything else a creation time; `get` how many. */
export function cursor(input: LegacyInput): BeforePage {
  const first = pageSize(input);
  const before = text(input, 'before')?.trim();
  if (before === undefined) return { first };
  // Any id of the table is below an id past the column's range, so such a cursor filters nothing out.
  if (/^\d+$/.test(before)) return { first, before: Math.min(Number(before), MAX_ID) };
  return { first, createdBefore: dateTime(before, 'before') };
}

/**
 * Checks values against the class-validator rules of a GraphQL input or args class, so both APIs refuse the same
 * input with the same words.
 */
export async function validated<T extends object>(type: new () => T, values: Partial<T>): Promise<T> {
  const instance = Object.assign(new type(), values);
  // As type-graphql runs them: what is missing is for the type (here `requiredText`) to refuse, not the rules.
  const [problem] = await validate(instance, { forbidUnknownValues: false, skipMissingProperties: true });
  if (problem !== undefined) {
    const message = Object.values(problem.constraints ?? {})[0] ?? 'is invalid.';
    throw badInput(problem.property, message);
  }
  return instance;
}

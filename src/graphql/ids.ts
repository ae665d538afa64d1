import { badInput } from '../errors';

const MAX_ID = 2_147_483_647;

/** GraphQL `ID`s arrive as strings; the tables use integer keys. */
export function parseId(value: string, field: string): number {
  const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(id) || id < 1 || id > MAX_ID) throw badInput(field, `"${value}" is not a valid id.`);
  return id;
}

export function parseOptionalId(value: string | undefined | null, field: string): number | undefined {
  return value === undefined || value === null ? undefined : parseId(value, field);
}

const MAX_EVENT_ID = 9_223_372_036_854_775_807n;

/** Event ids are the outbox's bigint keys, kept as strings; "0" is the position before every event. */
export function parseEventId(value: string, field: string): string {
  const id = /^\d{1,19}$/.test(value) ? BigInt(value) : -1n;
  if (id < 0n || id > MAX_EVENT_ID) throw badInput(field, `"${value}" is not a valid event id.`);
  return id.toString();
}

export function parseOptionalEventId(value: string | undefined | null, field: string): string | undefined {
  return value === undefined || value === null ? undefined : parseEventId(value, field);
}

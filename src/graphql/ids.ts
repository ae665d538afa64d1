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

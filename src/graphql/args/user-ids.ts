import { badInput } from '../../errors';
import { parseId } from '../ids';

/** The most users one presence query or subscription may name. */
export const MAX_PRESENCE_USER_IDS = 100;

/** GraphQL IDs as user ids, each once, in the order given; at most MAX_PRESENCE_USER_IDS. */
export function parseUserIds(values: readonly string[], field: string): number[] {
  if (values.length > MAX_PRESENCE_USER_IDS) {
    throw badInput(field, `at most ${MAX_PRESENCE_USER_IDS} user ids (got ${values.length}).`);
  }
  return [...new Set(values.map((value) => parseId(value, field)))];
}

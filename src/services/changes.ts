/**
 * The fields a client actually sent a value for. GraphQL leaves the others undefined, or null when sent as
 * null, which for these non-nullable columns also means "leave it as it is".
 */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined && value !== null),
  ) as Partial<T>;
}

/** The names of the fields sent among those a non-admin may not change. */
export function adminOnlyFieldsSent<T extends object>(changes: T, allowed: readonly (keyof T)[]): string[] {
  return Object.keys(definedOnly(changes)).filter((field) => !allowed.includes(field as keyof T));
}

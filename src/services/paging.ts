/** Page sizes every list accepts; the GraphQL args enforce the same bounds and say so to the client. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A page of rows ordered by id, newest first, optionally before an id the client already has. */
export interface BeforePage {
  readonly first?: number;
  readonly before?: number;
}

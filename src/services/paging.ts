import { type FindOperator, LessThan } from 'typeorm';

/** Page sizes every list accepts; the GraphQL args enforce the same bounds and say so to the client. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A page of rows ordered by id, newest first, optionally before an id the client already has. */
export interface BeforePage {
  readonly first?: number;
  readonly before?: number;
  /** Only rows created before this time (the legacy routes' `before` when it is a date). */
  readonly createdBefore?: Date;
}

/** The TypeORM conditions of a page's `before` and `createdBefore`. */
export function beforeConditions(page: BeforePage): {
  id?: FindOperator<number>;
  createdAt?: FindOperator<Date>;
} {
  return {
    ...(page.before === undefined ? {} : { id: LessThan(page.before) }),
    ...(page.createdBefore === undefined ? {} : { createdAt: LessThan(page.createdBefore) }),
  };
}

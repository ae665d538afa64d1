import { GraphQLError } from 'graphql';
import { cachingParse } from '../../src/graphql/document-cache';

describe('cachingParse', () => {
  it('parses a query once and hands every later caller the same document', () => {
    const parse = cachingParse();
    const first = parse('subscription { messageCreated { id } }');
    expect(first.kind).toBe('Document');
    expect(parse('subscription { messageCreated { id } }')).toBe(first);
    expect(parse('subscription { messageCreated { id detail } }')).not.toBe(first);
  });

  it('throws a syntax error every time instead of caching it', () => {
    const parse = cachingParse();
    expect(() => parse('subscription {')).toThrow(GraphQLError);
    expect(() => parse('subscription {')).toThrow(GraphQLError);
  });

  it('keeps at most its number of entries, dropping the oldest, and never keeps a huge query', () => {
    const parse = cachingParse(2);
    const a = parse('{ a }');
    parse('{ b }');
    parse('{ c }');
    expect(parse('{ a }')).not.toBe(a);
    const huge = `{ ${'x '.repeat(5000)}}`;
    expect(parse(huge)).not.toBe(parse(huge));
  });
});

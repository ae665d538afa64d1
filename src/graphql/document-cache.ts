import { type DocumentNode, parse, type Source } from 'graphql';

/** Queries longer than this are parsed each time: a cache of huge distinct queries would be a memory lever. */
const MAX_CACHED_QUERY_LENGTH = 8 * 1024;

/**
 * `parse` with the documents of recent queries kept and shared: every subscriber sends the same few query texts,
 * and each parsed copy (tokens and locations included) would be held for as long as its subscription lives.
 * Documents are never mutated by graphql-js, so sharing one is safe. Parse errors are thrown, never cached.
 */
export function cachingParse(maxEntries = 500): (query: string | Source) => DocumentNode {
  const documents = new Map<string, DocumentNode>();
  return (query) => {
    if (typeof query !== 'string' || query.length > MAX_CACHED_QUERY_LENGTH) return parse(query);
    const cached = documents.get(query);
    if (cached !== undefined) return cached;
    const document = parse(query);
    // The oldest entry goes first: a Map iterates in insertion order.
    if (documents.size >= maxEntries) documents.delete(documents.keys().next().value as string);
    documents.set(query, document);
    return document;
  };
}

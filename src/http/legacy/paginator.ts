/** A page link of Laravel's paginator. */
interface PageLink {
  readonly url: string | null;
  readonly label: string;
  readonly active: boolean;
}

const ON_EACH_SIDE = 3;

/** The page numbers Laravel 8's UrlWindow shows, with null where it puts `...`. */
function window(current: number, last: number): (number | null)[] {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  if (last < ON_EACH_SIDE * 2 + 8) return range(1, last);
  const size = ON_EACH_SIDE + 4;
  if (current <= size) return [...range(1, size + ON_EACH_SIDE), null, last - 1, last];
  if (current > last - size) return [1, 2, null, ...range(last - (size + (ON_EACH_SIDE - 1)), last)];
  return [1, 2, null, ...range(current - ON_EACH_SIDE, current + ON_EACH_SIDE), null, last - 1, last];
}

/** Laravel 8's `LengthAwarePaginator::toArray()`, key for key. */
export function lengthAwarePaginator<T>(options: {
  readonly data: T[];
  readonly total: number;
  readonly perPage: number;
  readonly currentPage: number;
  /** The request URL without its query string. */
  readonly path: string;
}) {
  const { data, total, perPage, currentPage, path } = options;
  const lastPage = Math.max(Math.ceil(total / perPage), 1);
  const url = (page: number) => `${path}?page=${page}`;
  const from = data.length === 0 ? null : (currentPage - 1) * perPage + 1;
  const prev = currentPage > 1 ? url(currentPage - 1) : null;
  const next = currentPage < lastPage ? url(currentPage + 1) : null;
  const links: PageLink[] = [
    { url: prev, label: '&laquo; Previous', active: false },
    ...window(currentPage, lastPage).map((page) =>
      page === null
        ? { url: null, label: '...', active: false }
        : { url: url(page), label: String(page), active: page === currentPage },
    ),
    { url: next, label: 'Next &raquo;', active: false },
  ];
  return {
    current_page: currentPage,
    data,
    first_page_url: url(1),
    from,
    last_page: lastPage,
    last_page_url: url(lastPage),
    links,
    next_page_url: next,
    path,
    per_page: perPage,
    prev_page_url: prev,
    to: from === null ? null : from + data.length - 1,
    total,
  };
}

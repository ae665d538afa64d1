import { lengthAwarePaginator } from '../../src/http/legacy/paginator';

const labels = (currentPage: number, total: number) =>
  lengthAwarePaginator({
    data: [],
    total,
    perPage: 20,
    currentPage,
    path: 'http://h/api/admin/user',
  }).links.map((link) => link.label);

describe("Laravel 8's paginator links", () => {
  it('lists every page while there are fewer than 14', () => {
    expect(labels(1, 260)).toEqual([
      '&laquo; Previous',
      ...Array.from({ length: 13 }, (_, i) => String(i + 1)),
      'Next &raquo;',
    ]);
  });

  it('puts ... where the UrlWindow leaves pages out', () => {
    expect(labels(1, 20 * 30)).toEqual([
      '&laquo; Previous',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '...',
      '29',
      '30',
      'Next &raquo;',
    ]);
    expect(labels(15, 20 * 30)).toEqual([
      '&laquo; Previous',
      '1',
      '2',
      '...',
      '12',
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
      '...',
      '29',
      '30',
      'Next &raquo;',
    ]);
    expect(labels(28, 20 * 30)).toEqual([
      '&laquo; Previous',
      '1',
      '2',
      '...',
      '21',
      '22',
      '23',
      '24',
      '25',
      '26',
      '27',
      '28',
      '29',
      '30',
      'Next &raquo;',
    ]);
  });

  it('counts from and to on the page, and links the neighbours', () => {
    const page = lengthAwarePaginator({
      data: ['a', 'b'],
      total: 22,
      perPage: 20,
      currentPage: 2,
      path: 'http://h/p',
    });
    expect(page).toMatchObject({
      from: 21,
      to: 22,
      last_page: 2,
      prev_page_url: 'http://h/p?page=1',
      next_page_url: null,
    });
  });
});

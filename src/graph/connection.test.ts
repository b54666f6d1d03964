import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, paginate } from './connection.ts';

const limits = { defaultFirst: 2, maxFirst: 10, argumentPath: ['items'] };
const items = ['a', 'b', 'c', 'd', 'e'];
const keyOf = (s: string) => [s];

describe('paginate', () => {
  it('returns the first page with counts and cursors', () => {
    const page = paginate(items, {}, keyOf, limits);
    expect(page.nodes).toEqual(['a', 'b']);
    expect(page.totalCount).toBe(5);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(decodeCursor(page.pageInfo.endCursor ?? '')).toEqual(['b']);
  });

  it('continues after a cursor even when the item it names has gone', () => {
    const second = paginate(items, { first: 2, after: encodeCursor(['b']) }, keyOf, limits);
    expect(second.nodes).toEqual(['c', 'd']);
    const withoutB = paginate(['a', 'c', 'd', 'e'], { first: 2, after: encodeCursor(['b']) }, keyOf, limits);
    expect(withoutB.nodes).toEqual(['c', 'd']);
    const last = paginate(items, { first: 5, after: encodeCursor(['d']) }, keyOf, limits);
    expect(last.nodes).toEqual(['e']);
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('refuses a page size out of range and a foreign cursor as user input errors', () => {
    expect(() => paginate(items, { first: 11 }, keyOf, limits)).toThrow(GraphQLError);
    expect(() => paginate(items, { first: -1 }, keyOf, limits)).toThrow(/between 0 and 10/);
    expect(() => paginate(items, { after: 'not-a-cursor' }, keyOf, limits)).toThrow(/not a cursor/);
  });
});

// Relay connections over sorted lists. A cursor holds the sort key of its item, not an offset,
// so paging stays correct when items before the cursor appear or disappear between requests.

import { BadUserInputError } from '../errors.ts';

export type SortKey = readonly string[];

export interface EdgeModel<T> {
  cursor: string;
  node: T;
}

export interface PageInfoModel {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface ConnectionModel<T> {
  edges: EdgeModel<T>[];
  nodes: T[];
  pageInfo: PageInfoModel;
  totalCount: number;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface PageLimits {
  /** Page size when `first` is not given. */
  defaultFirst: number;
  /** Largest `first` accepted. */
  maxFirst: number;
  /** GraphQL argument path for error messages (`["mpiJobs"]`). */
  argumentPath: string[];
}

/** Code-point order, the same in every locale, so cursors compare as they sort. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const c = compareText(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): SortKey | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    // Not JSON: not a cursor this gateway issued; the caller reports it.
    return undefined;
  }
}

/**
 * Pages `items`, which must be sorted so that `compare(keyOf(a), keyOf(b))` is ascending.
 * `after` selects the items strictly after the cursor's key.
 */
export function paginate<T>(
  items: readonly T[],
  args: PageArgs,
  keyOf: (item: T) => SortKey,
  limits: PageLimits,
  compare: (a: SortKey, b: SortKey) => number = compareKeys,
): ConnectionModel<T> {
  const first = args.first ?? limits.defaultFirst;
  if (!Number.isInteger(first) || first < 0 || first > limits.maxFirst) {
    throw new BadUserInputError(`first must be between 0 and ${limits.maxFirst}`, [
      { path: [...limits.argumentPath, 'first'], message: `must be between 0 and ${limits.maxFirst}` },
    ]);
  }
  let start = 0;
  if (args.after != null) {
    const after = decodeCursor(args.after);
    if (!after) {
      throw new BadUserInputError('after is not a cursor of this list', [
        { path: [...limits.argumentPath, 'after'], message: 'not a cursor of this list' },
      ]);
    }
    start = items.findIndex((item) => compare(keyOf(item), after) > 0);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + first);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    nodes: page,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: start + first < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

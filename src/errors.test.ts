import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { formatGraphQLError, MASKED_MESSAGE, NotFoundError, QuotaExceededError } from './errors.ts';

describe('formatGraphQLError', () => {
  it('passes errors with a public code through, without a stack trace', () => {
    const masked: unknown[] = [];
    const error = new NotFoundError('mpijobs.kubeflow.org "x" not found');
    const formatted = formatGraphQLError(
      { message: error.message, path: ['mpiJob'], extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } },
      error,
      { onMasked: (e) => masked.push(e) },
    );
    expect(formatted).toEqual({ message: 'mpijobs.kubeflow.org "x" not found', path: ['mpiJob'], extensions: { code: 'NOT_FOUND' } });
    expect(masked).toEqual([]);
  });

  it('keeps protocol codes from Apollo (parse and validation failures)', () => {
    const formatted = formatGraphQLError({ message: 'Syntax Error', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }, new GraphQLError('x'), { onMasked: () => undefined });
    expect(formatted.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it('masks anything else as INTERNAL_SERVER_ERROR and reports the original', () => {
    const masked: unknown[] = [];
    const original = new TypeError("Cannot read properties of undefined (reading 'metadata')");
    const formatted = formatGraphQLError({ message: original.message, path: ['mpiJobs'] }, original, { onMasked: (e) => masked.push(e) });
    expect(formatted).toEqual({ message: MASKED_MESSAGE, path: ['mpiJobs'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(masked).toEqual([original]);
  });

  it('carries the quota shortfall in the extensions', () => {
    const error = new QuotaExceededError('exceeded quota: q', [{ quota: 'q', resource: 'pods', requested: '3', used: '9', hard: '10', shortfall: '2' }]);
    expect(error.extensions).toEqual({ code: 'QUOTA_EXCEEDED', shortfall: error.shortfall });
  });
});

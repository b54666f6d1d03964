// Custom scalars. DateTime values are Kubernetes' RFC 3339 strings, passed through unchanged.

import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function checkDateTime(value: unknown): string {
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError(`DateTime must be an RFC 3339 date-time string, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An RFC 3339 date-time string in UTC, as Kubernetes writes them.',
  serialize: checkDateTime,
  parseValue: checkDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime literals are strings');
    return checkDateTime(ast.value);
  },
});

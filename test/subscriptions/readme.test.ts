// The GraphQL of the README's "Live subscriptions" section is valid against the schema, so the
// examples people copy keep working as the schema changes.

import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/graph/schema.ts';
import { readmeBlocks } from '../utils/readme.ts';

describe('the README section on live subscriptions', () => {
  it('has GraphQL examples that validate against the schema', () => {
    const blocks = readmeBlocks('Live subscriptions', 'graphql');
    expect(blocks.length).toBeGreaterThan(0);
    const schema = buildSchema();
    for (const block of blocks) expect(validate(schema, parse(block)).map((e) => e.message)).toEqual([]);
  });

  it('subscribes, in its client example, with an operation that validates', () => {
    const [example] = readmeBlocks('Live subscriptions', 'ts');
    const query = /query: '([^']+)'/.exec(example ?? '')?.[1];
    expect(query).toBeDefined();
    expect(validate(buildSchema(), parse(query ?? '')).map((e) => e.message)).toEqual([]);
  });
});

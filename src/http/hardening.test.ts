import { parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../graph/schema.ts';
import {
  checkArguments,
  estimateCost,
  costLimitError,
  hardeningValidationRules,
  isOriginAllowed,
  labelSelectorProblem,
  MAX_QUERY_COST,
  namespaceNameProblem,
  objectNameProblem,
  PerUserLimit,
  webSocketValidationRules,
} from './hardening.ts';

const schema = buildSchema();
const check = (source: string) => validate(schema, parse(source), [...specifiedRules, ...hardeningValidationRules()]).map((e) => e.message);

function nested(depth: number): string {
  // MPIJob.launcher -> Pod.job -> MPIJob.launcher ...: one level per step.
  let body = 'name';
  // Built inside out; the outermost level (under MPIJob) must be `launcher`.
  for (let i = 0; i < depth; i += 1) body = (depth - 1 - i) % 2 === 0 ? `launcher { ${body} }` : `job { ${body} }`;
  return `{ mpiJob(namespace: "a", name: "b") { ${body} } }`;
}

const DASHBOARD = `query Dashboard {
  mpiJobs(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name namespace queue phase
      status { startTime completionTime durationSeconds }
      launcher { name phase }
      workers { totalCount nodes { name rank phase ready restarts nodeName } }
    }
  }
}`;

describe('document limits', () => {
  it('accepts the README dashboard and the standard introspection query', () => {
    expect(check(DASHBOARD)).toEqual([]);
    const introspection = `{ __schema { types { name fields { name type { ...T } } } } }
      fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`;
    expect(check(introspection)).toEqual([]);
  });

  it('refuses a query nested deeper than the limit, also through fragments', () => {
    expect(check(nested(8))).toEqual([]);
    expect(check(nested(9))).toEqual(['the query is 11 levels deep; at most 10 are allowed']);
    const viaFragments = `{ mpiJob(namespace: "a", name: "b") { ...A } } fragment A on MPIJob { launcher { job { ...B } } } fragment B on MPIJob { launcher { job { launcher { job { launcher { job { launcher { name } } } } } } } }`;
    expect(check(viaFragments)[0]).toMatch(/levels deep/);
  });

  it('refuses more than 15 aliases and more than 50 directives, once each', () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: mpiJobs { totalCount }`).join(' ');
    expect(check(`{ ${aliases} }`)).toEqual(['the query uses more than 15 aliases']);
    const directives = Array.from({ length: 51 }, () => '@include(if: true)').join(' ');
    expect(check(`{ mpiJobs ${directives} { totalCount } }`)).toContain('the query uses more than 50 directives');
  });

  it('estimates cost from page sizes, literal or in variables, and refuses what is over the limit', () => {
    const dashboard = estimateCost(schema, parse(DASHBOARD));
    expect(dashboard).toBeGreaterThan(5_000);
    expect(dashboard).toBeLessThan(MAX_QUERY_COST);
    const costly = parse('query($n: Int) { mpiJobs(first: $n) { nodes { workers(first: 100) { nodes { events(first: 100) { nodes { message } } } } } } }');
    expect(costLimitError(schema, costly, undefined, { n: 1 })).toBeUndefined();
    expect(costLimitError(schema, costly, undefined, { n: 1000 })?.message).toMatch(/estimated cost is \d+; at most 100000/);
    expect(costLimitError(schema, costly, undefined, { n: 1000 })?.extensions['code']).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('over WebSocket, validates cost once for any variables by assuming the largest page', () => {
    const rules = [...specifiedRules, ...webSocketValidationRules()];
    const byVariable = parse('subscription($n: Int) { mpiJobChanged { job { workers(first: $n) { nodes { events(first: $n) { nodes { message } } } } } } }');
    expect(validate(schema, byVariable, rules).map((e) => e.message)).toEqual([expect.stringMatching(/estimated cost is \d+; at most 100000/)]);
    const literal = parse('subscription { mpiJobChanged { job { workers(first: 10) { nodes { events(first: 10) { nodes { message } } } } } } }');
    expect(validate(schema, literal, rules)).toEqual([]);
  });

  it('counts the operation that runs, and each spread of a fragment', () => {
    const doc = parse('query A { mpiJobs(first: 10) { nodes { ...F ...F } } } query B { viewer { username } } fragment F on MPIJob { name }');
    expect(estimateCost(schema, doc, 'A')).toBe(1 + 10 * (1 + 1 + 1));
    expect(estimateCost(schema, doc, 'B')).toBe(2);
    expect(estimateCost(schema, doc)).toBe(0);
  });
});

describe('names and selectors from users', () => {
  it('accepts Kubernetes names and refuses crafted ones', () => {
    expect(namespaceNameProblem('team-a')).toBeUndefined();
    expect(objectNameProblem('bert.finetune-2')).toBeUndefined();
    for (const bad of ['', 'Team-A', '../etc', 'a/b', 'a%2Fb', '-a', 'a-', 'a b', 'a\u0000b', 'x'.repeat(64)]) {
      expect(namespaceNameProblem(bad), JSON.stringify(bad)).toBeDefined();
    }
    expect(objectNameProblem('x'.repeat(254))).toMatch(/253/);
    expect(objectNameProblem('a..b')).toBeDefined();
  });

  it('accepts selectors and refuses malformed or oversized ones', () => {
    expect(labelSelectorProblem('team=nlp,tier in (gpu),!canary')).toBeUndefined();
    expect(labelSelectorProblem('team=(')).toBeDefined();
    expect(labelSelectorProblem('a='.padEnd(5000, 'x'))).toMatch(/4096/);
  });

  it('names the argument that failed in a BAD_USER_INPUT error', () => {
    expect(() => checkArguments('mpiJob', { namespace: 'team-a', name: '../../secrets' })).toThrow(/^name: Invalid value: "..\/..\/secrets"/);
    expect(() => checkArguments('mpiJobs', { labelSelector: 'a in (' })).toThrow(/labelSelector/);
    expect(() => checkArguments('mpiJob', { namespace: 'team-a', name: 'pi' })).not.toThrow();
  });
});

describe('WebSocket origins and per-user caps', () => {
  it('allows no origin (not a browser), the same origin and listed origins, and nothing else', () => {
    expect(isOriginAllowed(undefined, 'gw:4000', [])).toBe(true);
    expect(isOriginAllowed('http://gw:4000', 'gw:4000', [])).toBe(true);
    expect(isOriginAllowed('https://ui.example.com', 'gw:4000', ['https://ui.example.com'])).toBe(true);
    expect(isOriginAllowed('https://evil.example', 'gw:4000', ['https://ui.example.com'])).toBe(false);
    expect(isOriginAllowed('null', 'gw:4000', [])).toBe(false);
  });

  it('gives each user at most the ceiling, and slots back once each', () => {
    const limit = new PerUserLimit(2);
    const a1 = limit.acquire('alice');
    const a2 = limit.acquire('alice');
    expect(limit.acquire('alice')).toBeUndefined();
    expect(limit.acquire('bob')).toBeDefined();
    a1?.();
    a1?.();
    expect(limit.count('alice')).toBe(1);
    expect(limit.acquire('alice')).toBeDefined();
    a2?.();
    expect(limit.count('alice')).toBe(1);
  });
});

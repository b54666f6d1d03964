// The permission map on the gateway's real schema, with in-memory caches and hand-made viewers:
// deny by default, every type accounted for, mutations checked against RBAC answers.

import { graphql, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeCluster, mpiJob, namespace } from '../../test/utils/graph-fixtures.ts';
import { createGraphContext } from '../graph/context.ts';
import { buildSchema } from '../graph/schema.ts';
import type { ResourceAttributes } from '../kube/reviews.ts';
import type { ReadableKind, Viewer } from '../viewer/viewer.ts';
import { applyPermissions, PERMISSIONS, unmappedTypes } from './permissions.ts';

const schema = applyPermissions(buildSchema());

interface ViewerSpec {
  username?: string;
  readable?: Partial<Record<ReadableKind, string[]>>;
  /** `verb resource namespace` triples RBAC allows. */
  grants?: string[];
}

function viewer(spec: ViewerSpec, asked: ResourceAttributes[] = []): Viewer {
  return {
    username: spec.username,
    groups: spec.username ? ['system:authenticated'] : [],
    canRead: (ns, kind = 'mpijobs') => spec.readable?.[kind]?.includes(ns) ?? false,
    can: async (a) => {
      asked.push(a);
      const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
      return (spec.grants ?? []).includes(`${a.verb} ${resource} ${a.namespace}`);
    },
    impersonation: spec.username ? { user: spec.username, groups: [] } : undefined,
  };
}

function setup() {
  const fake = createFakeCluster();
  for (const ns of ['team-a', 'team-b']) fake.caches.namespaces.upsert(namespace(ns));
  fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'team-a', workers: 1, conditions: [['Created', 'True']] }));
  const run = (source: string, who: Viewer, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues, contextValue: createGraphContext(fake.services(), who, pino({ level: 'silent' })) });
  return { fake, run };
}

const CREATE = 'mutation($ns: String!) { createMPIJob(input: { name: "x", namespace: $ns, image: "mpi:1", workers: 1 }, dryRun: true) { job { name } errors { code } } }';

describe('the permission map', () => {
  it('names every object type of the schema, so none falls to the deny fallback by omission', () => {
    expect(unmappedTypes(buildSchema())).toEqual([]);
  });

  it('denies a type that is not in the map, and a root field that is not', async () => {
    const secretType = new GraphQLObjectType({ name: 'Secret', fields: { value: { type: GraphQLString, resolve: () => 'hunter2' } } });
    const extra = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { mpiJob: { type: GraphQLString, resolve: () => 'ok' }, secret: { type: secretType, resolve: () => ({}) }, other: { type: GraphQLString, resolve: () => 'x' } },
      }),
    });
    expect(unmappedTypes(extra, PERMISSIONS)).toEqual(['Secret']);
    const guarded = applyPermissions(extra, { Query: { mpiJob: PERMISSIONS.Query.mpiJob, secret: PERMISSIONS.Query.mpiJob } });
    const alice = viewer({ username: 'alice' });
    const result = await graphql({ schema: guarded, source: '{ mpiJob other secret { value } }', contextValue: { viewer: alice } });
    expect(result.data).toEqual({ mpiJob: 'ok', other: null, secret: { value: null } });
    expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions['code']])).toEqual([
      ['other', 'FORBIDDEN'],
      ['secret.value', 'FORBIDDEN'],
    ]);
  });

  it('refuses reads to a viewer without a username with UNAUTHENTICATED', async () => {
    const { run } = setup();
    const result = await run('{ mpiJobs { totalCount } }', viewer({}));
    expect(result.errors?.[0]?.extensions['code']).toBe('UNAUTHENTICATED');
  });

  it('lets an authenticated viewer read, filtered to the namespaces it may read', async () => {
    const { run } = setup();
    const bob = await run('{ mpiJobs { totalCount } mpiJob(namespace: "team-a", name: "pi") { name } }', viewer({ username: 'bob', readable: { mpijobs: ['team-b'] } }));
    expect(bob).toEqual({ data: { mpiJobs: { totalCount: 0 }, mpiJob: null } });
    const alice = await run('{ mpiJobs { totalCount } }', viewer({ username: 'alice', readable: { mpijobs: ['team-a'] } }));
    expect(alice.data).toEqual({ mpiJobs: { totalCount: 1 } });
  });

  it('allows a create only where RBAC grants create, asking about the input namespace', async () => {
    const { run, fake } = setup();
    const asked: ResourceAttributes[] = [];
    const alice = viewer({ username: 'alice', readable: { mpijobs: ['team-a'] }, grants: ['create mpijobs team-a'] }, asked);
    const refused = await run(CREATE, alice, { ns: 'team-b' });
    expect(refused.errors?.[0]).toMatchObject({ message: 'alice may not create mpijobs.kubeflow.org in namespace "team-b"', extensions: { code: 'FORBIDDEN' } });
    expect(fake.writes).toHaveLength(0);
    const allowed = await run(CREATE, alice, { ns: 'team-a' });
    expect(allowed.errors).toBeUndefined();
    expect(fake.writes).toHaveLength(1);
    expect(asked.map((a) => `${a.verb} ${a.group}/${a.resource} ${a.namespace} ${a.name ?? '-'}`)).toEqual([
      'create kubeflow.org/mpijobs team-b -',
      'create kubeflow.org/mpijobs team-a -',
    ]);
  });

  it('checks a manifest create against the namespace the manifest names', async () => {
    const { run } = setup();
    const asked: ResourceAttributes[] = [];
    const alice = viewer({ username: 'alice', readable: { mpijobs: ['team-a'] }, grants: ['create mpijobs team-a'] }, asked);
    const manifest = 'apiVersion: kubeflow.org/v2beta1\nkind: MPIJob\nmetadata: { name: m, namespace: team-b }\nspec: {}\n';
    const result = await run('mutation($m: String!) { createMPIJobFromManifest(manifest: $m, namespace: "team-a") { errors { code } } }', alice, { m: manifest });
    expect(result.errors?.[0]?.extensions['code']).toBe('FORBIDDEN');
    expect(asked[0]).toMatchObject({ verb: 'create', namespace: 'team-b' });
  });

  it('asks delete and patch about the named job, and refuses the same way whether it exists or not', async () => {
    const { run } = setup();
    const asked: ResourceAttributes[] = [];
    const bob = viewer({ username: 'bob', readable: { mpijobs: ['team-b'] } }, asked);
    const existing = await run('mutation { deleteMPIJob(namespace: "team-a", name: "pi") { deletedId } }', bob);
    const missing = await run('mutation { deleteMPIJob(namespace: "team-a", name: "nope") { deletedId } }', bob);
    expect(existing.errors?.[0]?.message).toBe('bob may not delete mpijobs.kubeflow.org in namespace "team-a"');
    expect(missing.errors?.[0]?.message).toBe(existing.errors?.[0]?.message);
    await run('mutation { suspendMPIJob(namespace: "team-a", name: "pi") { errors { code } } }', bob);
    expect(asked.map((a) => `${a.verb} ${a.namespace}/${a.name}`)).toEqual(['delete team-a/pi', 'delete team-a/nope', 'patch team-a/pi']);
  });

  it('refuses a malformed namespace in mutation input before asking RBAC', async () => {
    const { run } = setup();
    const asked: ResourceAttributes[] = [];
    const result = await run(CREATE, viewer({ username: 'alice' }, asked), { ns: '../kube-system' });
    expect(result.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(asked).toHaveLength(0);
  });
});

// graphql-shield is patched on postinstall (Node >= 23 removed util.isUndefined, which it
// imports). This proves the patched package loads on this Node and enforces a deny-by-default
// rule map on the gateway's real schema; the permission map itself arrives with RBAC (issue 5).

import { graphql } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeCluster, mpiJob, namespace } from '../../test/utils/graph-fixtures.ts';
import { ANONYMOUS_VIEWER } from '../viewer/viewer.ts';
import { createGraphContext } from './context.ts';
import { buildSchema } from './schema.ts';

describe('graphql-shield on the gateway schema', () => {
  it('answers an allowed query and denies an unlisted field under fallbackRule deny', async () => {
    const fake = createFakeCluster();
    fake.caches.namespaces.upsert(namespace('team-a'));
    fake.caches.mpiJobs.upsert(mpiJob({ name: 'pi', namespace: 'team-a', workers: 1, conditions: [['Created', 'True']] }));
    const isViewer = rule({ cache: 'contextual' })(async () => true);
    const permissions = shield(
      {
        Query: { mpiJobs: isViewer },
        MPIJobConnection: allow,
        MPIJob: { name: allow, phase: allow },
      },
      { fallbackRule: deny, allowExternalErrors: true },
    );
    const schema = applyMiddleware(buildSchema(), permissions);
    const run = (source: string) =>
      graphql({ schema, source, contextValue: createGraphContext(fake.services(), ANONYMOUS_VIEWER, pino({ level: 'silent' })) });

    const allowed = await run('{ mpiJobs { nodes { name phase } } }');
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({ mpiJobs: { nodes: [{ name: 'pi', phase: 'CREATED' }] } });

    const denied = await run('{ namespaces { totalCount } }');
    expect(denied.errors?.[0]?.message).toBe('Not Authorised!');
    expect(denied.data).toBeNull();
  });
});

// The authorization map: one rule per root field, deny by default. The only module that imports
// graphql-shield (unmaintained, patched on install), so it can be swapped for another engine
// behind `applyPermissions` alone.
//
// What the rules decide, and what they leave to others:
// - reads need an authenticated viewer; what they return is already filtered to the namespaces
//   the viewer may read (the loaders ask `viewer.canRead`), so a forbidden object and a missing
//   one look alike;
// - mutations need the Kubernetes verb on the target (SubjectAccessReview through the viewer),
//   and are then sent as the user (impersonation), so the API server checks RBAC and quota too;
// - object types carry no rule of their own: every object reaching them came through a filtered
//   root field. They are still listed, `allow`, so that a type nobody thought about is denied.

import { isObjectType, isIntrospectionType, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, deny, rule, shield, type IRules } from 'graphql-shield';
import { BadUserInputError, ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type { GraphContext } from '../graph/context.ts';
import { namespaceNameProblem, objectNameProblem } from '../http/hardening.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL } from '../kube/labels.ts';
import type { ReadableKind } from '../viewer/viewer.ts';
import { mutationTarget } from './targets.ts';

type Args = Record<string, unknown>;

/** What a denied field answers with when its rule gave no reason of its own. */
export const DENIED_MESSAGE = 'you are not allowed to do this';

// ---- rules ----

/** Same answer for the whole request: `contextual`. */
const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })((_parent: unknown, _args: Args, context: GraphContext) =>
  context.viewer.username !== undefined ? true : new UnauthenticatedError(),
);

/**
 * A mutation's verb on its target. `no_cache`: each mutation field runs once per request, and the
 * viewer's access loader already answers a repeated question from memory.
 */
function mayMutate(field: string) {
  return rule(`mayMutate:${field}`, { cache: 'no_cache' })(async (_parent: unknown, args: Args, context: GraphContext) => {
    if (context.viewer.username === undefined) return new UnauthenticatedError();
    const target = mutationTarget(field, args);
    if (!target) return new ForbiddenError(DENIED_MESSAGE);
    // Without a namespace the service refuses the input as data before anything is written.
    if (target.namespace === undefined || target.namespace === '') return true;
    const namespaceProblem = namespaceNameProblem(target.namespace);
    if (namespaceProblem) return new BadUserInputError(`namespace: ${namespaceProblem}`, [{ path: [field, 'namespace'], message: namespaceProblem }]);
    const name = target.name !== undefined && objectNameProblem(target.name) === undefined ? target.name : undefined;
    const allowed = await context.viewer.can({
      verb: target.verb,
      group: target.group,
      resource: target.resource,
      namespace: target.namespace,
      // RBAC `resourceNames` can only match a named object; a create names none yet.
      ...(target.verb !== 'create' && name ? { name } : {}),
    });
    // The message names what was asked, never whether the object exists.
    return allowed ? true : new ForbiddenError(`${context.viewer.username} may not ${target.verb} ${MPIJOB_PLURAL}.${MPIJOB_GROUP} in namespace "${target.namespace}"`);
  });
}

/** Which cache a subscription reads, for the check on its `namespace` argument. */
const SUBSCRIPTION_KINDS: Readonly<Record<string, ReadableKind>> = {
  mpiJobChanged: 'mpijobs',
  podChanged: 'mpijobs',
  events: 'events',
};

/**
 * A subscription to one namespace needs read access there. A stream that would stay silent
 * forever is worse than an answer; the refusal reads the same whether the namespace exists or
 * not. `strict`: the answer depends on the arguments (a subscription's parent is empty).
 */
function mayWatch(field: string) {
  const kind = SUBSCRIPTION_KINDS[field] ?? 'mpijobs';
  return rule(`mayWatch:${field}`, { cache: 'strict' })((_parent: unknown, args: Args, context: GraphContext) => {
    if (context.viewer.username === undefined) return new UnauthenticatedError();
    const namespace = args['namespace'];
    if (typeof namespace !== 'string') return true;
    return context.viewer.canRead(namespace, kind) ? true : new ForbiddenError(`${context.viewer.username} may not watch ${kind} in namespace "${namespace}"`);
  });
}

/** A job's logs: read access to the job, and `get pods/log` in its namespace, as `kubectl logs` needs. */
const mayReadLogs = rule('mayReadLogs', { cache: 'strict' })(async (_parent: unknown, args: Args, context: GraphContext) => {
  if (context.viewer.username === undefined) return new UnauthenticatedError();
  const namespace = typeof args['namespace'] === 'string' ? args['namespace'] : '';
  const allowed =
    context.viewer.canRead(namespace) && (await context.viewer.can({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace }));
  return allowed ? true : new ForbiddenError(`${context.viewer.username} may not read pods/log in namespace "${namespace}"`);
});

/**
 * The map. Root fields are listed one by one; object types are `allow` as a whole (see the top
 * of the file). A root field or type missing from here is denied.
 */
export const PERMISSIONS = {
  Query: {
    node: isAuthenticated,
    mpiJob: isAuthenticated,
    mpiJobs: isAuthenticated,
    namespaces: isAuthenticated,
    namespace: isAuthenticated,
    previewMPIJob: isAuthenticated,
    viewer: isAuthenticated,
    gatewayStatus: isAuthenticated,
  },
  // Streams filter every event for the viewer as queries do; these rules run before they open.
  Subscription: {
    mpiJobChanged: mayWatch('mpiJobChanged'),
    podChanged: mayWatch('podChanged'),
    events: mayWatch('events'),
    jobLogs: mayReadLogs,
    gatewayStatus: isAuthenticated,
  },
  Mutation: {
    createMPIJob: mayMutate('createMPIJob'),
    createMPIJobFromManifest: mayMutate('createMPIJobFromManifest'),
    deleteMPIJob: mayMutate('deleteMPIJob'),
    suspendMPIJob: mayMutate('suspendMPIJob'),
    resumeMPIJob: mayMutate('resumeMPIJob'),
  },
  // Objects reached through the filtered roots above.
  Viewer: allow,
  MPIJob: allow,
  MPIJobSpec: allow,
  MPIJobStatus: allow,
  MPIJobConnection: allow,
  MPIJobEdge: allow,
  RunPolicy: allow,
  SchedulingPolicy: allow,
  ReplicaSpec: allow,
  ReplicaStatus: allow,
  ContainerSpec: allow,
  EnvVar: allow,
  JobCondition: allow,
  Diagnosis: allow,
  PendingPod: allow,
  PodFailure: allow,
  Pod: allow,
  PodConnection: allow,
  PodEdge: allow,
  PodCondition: allow,
  ContainerStatus: allow,
  ContainerTermination: allow,
  Event: allow,
  EventConnection: allow,
  EventEdge: allow,
  ObjectReference: allow,
  Namespace: allow,
  NamespaceConnection: allow,
  NamespaceEdge: allow,
  ResourceQuota: allow,
  QuotaResource: allow,
  PageInfo: allow,
  Label: allow,
  ResourceQuantity: allow,
  Resources: allow,
  MPIJobChange: allow,
  PodChange: allow,
  EventChange: allow,
  LogLine: allow,
  LogLines: allow,
  GatewayStatus: allow,
  WatchStatus: allow,
  ChangeCursors: allow,
  // Mutation results: only ever what the caller just did.
  CreateMPIJobPayload: allow,
  MPIJobPayload: allow,
  DeleteMPIJobPayload: allow,
  MPIJobPreview: allow,
  QuotaCheck: allow,
  QuotaShortfall: allow,
  FieldError: allow,
  QuotaExceededError: allow,
} satisfies IRules;

/** Object types of `schema` (introspection's aside) that PERMISSIONS does not name. */
export function unmappedTypes(schema: GraphQLSchema, permissions: Readonly<Record<string, unknown>> = PERMISSIONS): string[] {
  return Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && !isIntrospectionType(type))
    .map((type) => type.name)
    .filter((name) => !(name in permissions))
    .sort();
}

/**
 * The schema with the map applied. Types whose rule is a plain `allow` are left unwrapped: shield
 * would add an async step to each of their fields for an answer that is always yes, and that is
 * most of a dashboard query's cost. Everything else, including every type not in the map, goes
 * through shield with `fallbackRule: deny`.
 */
export function applyPermissions(schema: GraphQLSchema, permissions: IRules = PERMISSIONS): GraphQLSchema {
  const generated = shield(permissions, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: () => new ForbiddenError(DENIED_MESSAGE),
  }).generate(schema);
  const middleware = { ...(generated as Record<string, unknown>) };
  for (const [type, typeRule] of Object.entries(permissions)) {
    if (typeRule === allow) delete middleware[type];
  }
  return applyMiddleware(schema, middleware);
}

// What each mutation acts on, read from its arguments: the Kubernetes verb it needs and the
// object it names. The shield rules ask RBAC about it; the audit records it.

import { MPIJOB_GROUP, MPIJOB_PLURAL } from '../kube/labels.ts';
import { parseManifest } from '../mpijob/manifest.ts';

export type MutationVerb = 'create' | 'delete' | 'patch';

export interface MutationTarget {
  verb: MutationVerb;
  group: string;
  resource: string;
  /** Undefined when the arguments do not say (a manifest without one and no argument). */
  namespace: string | undefined;
  name: string | undefined;
  dryRun: boolean;
}

type Args = Readonly<Record<string, unknown>>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function job(verb: MutationVerb, namespace: string | undefined, name: string | undefined, dryRun = false): MutationTarget {
  return { verb, group: MPIJOB_GROUP, resource: MPIJOB_PLURAL, namespace, name, dryRun };
}

/** Namespace and name of a manifest, falling back to the `namespace` argument as the service does. */
function manifestTarget(args: Args): MutationTarget {
  const parsed = parseManifest(text(args['manifest']) ?? '');
  const metadata = parsed.ok ? record(parsed.manifest['metadata']) : undefined;
  return job('create', text(metadata?.['namespace']) || text(args['namespace']) || undefined, text(metadata?.['name']), args['dryRun'] === true);
}

const TARGETS: Readonly<Record<string, (args: Args) => MutationTarget>> = {
  createMPIJob: (args) => {
    const input = record(args['input']);
    return job('create', text(input?.['namespace']), text(input?.['name']), args['dryRun'] === true);
  },
  createMPIJobFromManifest: manifestTarget,
  deleteMPIJob: (args) => job('delete', text(args['namespace']), text(args['name'])),
  suspendMPIJob: (args) => job('patch', text(args['namespace']), text(args['name'])),
  resumeMPIJob: (args) => job('patch', text(args['namespace']), text(args['name'])),
};

/** The target of a Mutation field; undefined for a field this table does not know (denied by the shield map). */
export function mutationTarget(field: string, args: Args): MutationTarget | undefined {
  return TARGETS[field]?.(args);
}

export const TARGETED_MUTATIONS: readonly string[] = Object.keys(TARGETS);

// Admission for MPIJobs. A real API server only applies the CRD schema (defaults, pruning, types,
// the mpiImplementation enum); the operator's own rules (validation.go) run later in the controller,
// where a failure is only a Warning event and the job sits there with an empty status. The
// emulator enforces both at admission, so an invalid MPIJob is refused with one 422 that lists
// every cause, the way the gateway wants a bad job to fail: at submit.

import { isDeepStrictEqual } from 'node:util';
import type { AdmissionPlugin, AdmissionRequest } from '../admission.ts';
import { invalid, type StatusCause } from '../status.ts';
import { isRecord, type KubeObject } from '../types.ts';
import { childPath, invalidCause, keyPath, notSupportedCause, requiredCause } from './field.ts';
import { MPIJOB_SCHEMA, normalizeWithSchema, validateWithSchema } from './schema.ts';

const MPIJOB_GROUP = 'kubeflow.org';
const MPIJOB_RESOURCE = 'mpijobs';
const MPIJOB_KIND = 'MPIJob';

export const MPI_REPLICA_TYPE = { launcher: 'Launcher', worker: 'Worker' } as const;

/** The Go defaulter's values (SetDefaults_MPIJob), applied before the operator validates. */
export const MPIJOB_DEFAULTS = {
  slotsPerWorker: 1,
  sshAuthMountPath: '/root/.ssh',
  mpiImplementation: 'OpenMPI',
  launcherCreationPolicy: 'AtStartup',
  cleanPodPolicy: 'None',
  launcherReplicas: 1,
  launcherRestartPolicy: 'OnFailure',
  workerReplicas: 0,
  workerRestartPolicy: 'Never',
} as const;

// Sorted, as Go's sets.List() prints them in NotSupported causes.
const CLEAN_POD_POLICIES = ['All', 'None', 'Running'];
const MPI_IMPLEMENTATIONS = ['Intel', 'MPICH', 'OpenMPI'];
// The Go constants also name Always and ExitCode, but the v2 controller accepts only these two;
// the emulator follows the controller, so `ExitCode` is refused rather than silently mapped.
const RESTART_POLICIES = ['Never', 'OnFailure'];
const LAUNCHER_CREATION_POLICIES = ['AtStartup', 'WaitForWorkersReady'];
const MANAGED_BY_VALUES = ['kubeflow.org/mpi-operator', 'kueue.x-k8s.io/multikueue'];

const DNS1035_LABEL_MAX_LENGTH = 63;
const DNS1035_LABEL_FORMAT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_PATTERN = new RegExp(`^${DNS1035_LABEL_FORMAT}$`);
const DNS1035_LABEL_ERROR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

function dns1035LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1035_LABEL_MAX_LENGTH) errors.push(`must be no more than ${DNS1035_LABEL_MAX_LENGTH} characters`);
  if (!DNS1035_LABEL_PATTERN.test(value)) {
    errors.push(`${DNS1035_LABEL_ERROR} (e.g. 'my-name',  or 'abc-123', regex used for validation is '${DNS1035_LABEL_FORMAT}')`);
  }
  return errors;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Go's zero value test for a string field: absent, null and "" are all "unset". */
function unsetString(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function defaultReplicaSpec(spec: Record<string, unknown>, replicas: number, restartPolicy: string): void {
  if (unsetString(spec.restartPolicy)) spec.restartPolicy = restartPolicy;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = replicas;
}

/**
 * A copy of the job with the Go defaulter's values filled in, as the operator sees it before it
 * validates and reconciles (Worker replicas 0, Launcher replicas 1, cleanPodPolicy None, ...).
 * The stored object keeps only the CRD's defaults; these live in the controller's memory.
 */
export function applyOperatorDefaults(job: KubeObject): KubeObject {
  const copy = structuredClone(job);
  const spec = record(copy.spec) ?? {};
  copy.spec = spec;
  const runPolicy = record(spec.runPolicy) ?? {};
  spec.runPolicy = runPolicy;
  if (runPolicy.cleanPodPolicy === undefined || runPolicy.cleanPodPolicy === null) {
    runPolicy.cleanPodPolicy = MPIJOB_DEFAULTS.cleanPodPolicy;
  }
  if (spec.slotsPerWorker === undefined || spec.slotsPerWorker === null) spec.slotsPerWorker = MPIJOB_DEFAULTS.slotsPerWorker;
  if (unsetString(spec.sshAuthMountPath)) spec.sshAuthMountPath = MPIJOB_DEFAULTS.sshAuthMountPath;
  if (unsetString(spec.mpiImplementation)) spec.mpiImplementation = MPIJOB_DEFAULTS.mpiImplementation;
  if (unsetString(spec.launcherCreationPolicy)) spec.launcherCreationPolicy = MPIJOB_DEFAULTS.launcherCreationPolicy;
  const replicaSpecs = record(spec.mpiReplicaSpecs);
  const launcher = record(replicaSpecs?.[MPI_REPLICA_TYPE.launcher]);
  if (launcher) defaultReplicaSpec(launcher, MPIJOB_DEFAULTS.launcherReplicas, MPIJOB_DEFAULTS.launcherRestartPolicy);
  const worker = record(replicaSpecs?.[MPI_REPLICA_TYPE.worker]);
  if (worker) defaultReplicaSpec(worker, MPIJOB_DEFAULTS.workerReplicas, MPIJOB_DEFAULTS.workerRestartPolicy);
  return copy;
}

function validateName(name: string, spec: Record<string, unknown>): StatusCause[] {
  const worker = record(record(spec.mpiReplicaSpecs)?.[MPI_REPLICA_TYPE.worker]);
  const workerReplicas = integer(worker?.replicas);
  const replicas = workerReplicas !== undefined && workerReplicas > 0 ? workerReplicas : 1;
  // The last worker's pod name doubles as its hostname and Service DNS name.
  const lastWorker = `${name}-worker-${replicas - 1}`;
  const errors = dns1035LabelErrors(lastWorker);
  if (errors.length === 0) return [];
  const detail = `will not able to create pod and service with invalid DNS label ${JSON.stringify(lastWorker)}: ${errors.join(', ')}`;
  return [invalidCause('metadata.name', name, detail)];
}

function validateReplicaSpec(spec: Record<string, unknown>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const restartPolicy = typeof spec.restartPolicy === 'string' ? spec.restartPolicy : '';
  if (!RESTART_POLICIES.includes(restartPolicy)) {
    causes.push(notSupportedCause(childPath(path, 'restartPolicy'), restartPolicy, RESTART_POLICIES));
  }
  const containers = record(record(spec.template)?.spec)?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(requiredCause(`${path}.template.spec.containers`, 'must define at least one container'));
  }
  return causes;
}

function validateReplicaSpecs(replicaSpecs: unknown, path: string): StatusCause[] {
  const specs = record(replicaSpecs);
  if (!specs) return [requiredCause(path, 'must have replica specs')];
  const causes: StatusCause[] = [];

  const launcherPath = keyPath(path, MPI_REPLICA_TYPE.launcher);
  const launcher = record(specs[MPI_REPLICA_TYPE.launcher]);
  if (!launcher) {
    causes.push(requiredCause(launcherPath, `must have ${MPI_REPLICA_TYPE.launcher} replica spec`));
  } else {
    causes.push(...validateReplicaSpec(launcher, launcherPath));
    const replicas = integer(launcher.replicas);
    if (replicas !== undefined && replicas !== 1) causes.push(invalidCause(childPath(launcherPath, 'replicas'), replicas, 'must be 1'));
  }

  const workerPath = keyPath(path, MPI_REPLICA_TYPE.worker);
  const worker = record(specs[MPI_REPLICA_TYPE.worker]);
  if (worker) {
    causes.push(...validateReplicaSpec(worker, workerPath));
    const replicas = integer(worker.replicas);
    if (replicas !== undefined && replicas <= 0) {
      causes.push(invalidCause(childPath(workerPath, 'replicas'), replicas, 'must be greater than or equal to 1'));
    }
  }
  return causes;
}

function nonNegative(value: unknown, path: string): StatusCause[] {
  const number = integer(value);
  return number !== undefined && number < 0 ? [invalidCause(path, number, 'must be greater than or equal to 0')] : [];
}

function validateRunPolicy(policy: Record<string, unknown>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  causes.push(...oneOf(policy.cleanPodPolicy, CLEAN_POD_POLICIES, childPath(path, 'cleanPodPolicy')));
  causes.push(...nonNegative(policy.ttlSecondsAfterFinished, childPath(path, 'ttlSecondsAfterFinished')));
  causes.push(...nonNegative(policy.activeDeadlineSeconds, childPath(path, 'activeDeadlineSeconds')));
  causes.push(...nonNegative(policy.backoffLimit, childPath(path, 'backoffLimit')));
  const managedBy = policy.managedBy;
  if (managedBy !== undefined && managedBy !== null && (typeof managedBy !== 'string' || !MANAGED_BY_VALUES.includes(managedBy))) {
    causes.push(notSupportedCause(childPath(path, 'managedBy'), managedBy, MANAGED_BY_VALUES));
  }
  return causes;
}

function oneOf(value: unknown, allowed: readonly string[], path: string): StatusCause[] {
  return typeof value === 'string' && allowed.includes(value) ? [] : [notSupportedCause(path, value, allowed)];
}

/**
 * The operator's own rules (mpi-operator validation.go), run on the job as the controller sees
 * it, i.e. after the Go defaulter. Causes use the operator's paths, whose map keys are bracketed
 * (`spec.mpiReplicaSpecs[Worker].replicas`), unlike the CRD schema's (`...mpiReplicaSpecs.Worker...`).
 * validation.go's "Required" checks (replicas, slotsPerWorker, cleanPodPolicy, a non-empty
 * sshAuthMountPath) are left out: the defaulter fills every one of them first, so they never fire.
 */
export function validateMPIJob(job: KubeObject): StatusCause[] {
  const defaulted = applyOperatorDefaults(job);
  const spec = record(defaulted.spec) ?? {};
  const causes = validateName(job.metadata.name ?? '', spec);
  causes.push(...validateReplicaSpecs(spec.mpiReplicaSpecs, 'spec.mpiReplicaSpecs'));
  causes.push(...nonNegative(spec.slotsPerWorker, 'spec.slotsPerWorker'));
  causes.push(...validateRunPolicy(record(spec.runPolicy) ?? {}, 'spec.runPolicy'));
  causes.push(...oneOf(spec.mpiImplementation, MPI_IMPLEMENTATIONS, 'spec.mpiImplementation'));
  causes.push(...oneOf(spec.launcherCreationPolicy, LAUNCHER_CREATION_POLICIES, 'spec.launcherCreationPolicy'));
  return causes;
}

function isMPIJobWrite(request: AdmissionRequest): request is AdmissionRequest & { object: KubeObject } {
  return (
    request.info.group === MPIJOB_GROUP &&
    request.info.resource === MPIJOB_RESOURCE &&
    (request.operation === 'CREATE' || request.operation === 'UPDATE') &&
    request.object !== undefined
  );
}

function jobName(request: AdmissionRequest & { object: KubeObject }): string {
  return request.object.metadata.name || request.name;
}

/**
 * Mutating: the CRD schema's null dropping, pruning and defaults (also on `/status` writes, as the
 * real server applies the schema to the whole object). Validating: the schema, then, for creates
 * and spec-changing updates of the main resource, the operator's rules.
 */
export const mpiJobAdmission: AdmissionPlugin = {
  name: 'MPIJob',
  mutate(request) {
    if (!isMPIJobWrite(request)) return undefined;
    return normalizeWithSchema(MPIJOB_SCHEMA, request.object).object;
  },
  validate(request) {
    if (!isMPIJobWrite(request)) return;
    const name = jobName(request);
    const schemaCauses = validateWithSchema(MPIJOB_SCHEMA, request.object);
    if (schemaCauses.length > 0) throw invalid(MPIJOB_KIND, MPIJOB_GROUP, name, schemaCauses);
    if (request.subresource !== undefined) return;
    // The rules judge the spec; a metadata-only update (labels, a finalizer removed while the job
    // is deleted) must not be blocked by a spec that was stored before the rules applied.
    if (request.operation === 'UPDATE' && isDeepStrictEqual(request.oldObject?.spec, request.object.spec)) return;
    const job = request.object.metadata.name ? request.object : { ...request.object, metadata: { ...request.object.metadata, name } };
    const causes = validateMPIJob(job);
    if (causes.length > 0) throw invalid(MPIJOB_KIND, MPIJOB_GROUP, name, causes);
  },
};

// MPIJob validation at submit: the CRD schema's checks (what the API server enforces), the
// operator's own checks (which otherwise only surface later as a lone `ValidationError` event
// and an empty status), and the pod rules the launcher and worker pods would fail on.
// Field paths and messages follow Kubernetes' field.Error wording.

import { MPIJOB_API_VERSION, MPIJOB_KIND, REPLICA_LAUNCHER, REPLICA_WORKER } from '../kube/labels.ts';
import { compare, isValidQuantity, parseQuantity } from '../quota/quantity.ts';

export interface FieldIssue {
  /** Kubernetes field path: `spec.mpiReplicaSpecs[Worker].replicas`. */
  field: string;
  message: string;
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL_LENGTH = 63;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SUBDOMAIN_LENGTH = 253;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const INT32_MAX = 2_147_483_647;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

export const MPI_IMPLEMENTATION_VALUES = ['OpenMPI', 'Intel', 'MPICH'] as const;
export const LAUNCHER_CREATION_POLICY_VALUES = ['AtStartup', 'WaitForWorkersReady'] as const;
export const CLEAN_POD_POLICY_VALUES = ['All', 'Running', 'None'] as const;
/** The v2 controller accepts only these two, although the Go type declares four. */
export const REPLICA_RESTART_POLICY_VALUES = ['Never', 'OnFailure'] as const;
export const MANAGED_BY_VALUES = ['', 'kubeflow.org/mpi-operator', 'kueue.x-k8s.io/multikueue'] as const;
export const REPLICA_TYPES = [REPLICA_LAUNCHER, REPLICA_WORKER] as const;

const SPEC_FIELDS = new Set([
  'slotsPerWorker',
  'runLauncherAsWorker',
  'runPolicy',
  'mpiReplicaSpecs',
  'sshAuthMountPath',
  'launcherCreationPolicy',
  'mpiImplementation',
]);
const RUN_POLICY_FIELDS = new Set([
  'cleanPodPolicy',
  'ttlSecondsAfterFinished',
  'activeDeadlineSeconds',
  'backoffLimit',
  'schedulingPolicy',
  'suspend',
  'managedBy',
]);
const REPLICA_SPEC_FIELDS = new Set(['replicas', 'restartPolicy', 'template']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

class Collector {
  readonly issues: FieldIssue[] = [];

  required(field: string, detail?: string): void {
    this.issues.push({ field, message: detail ? `Required value: ${detail}` : 'Required value' });
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.issues.push({ field, message: `Invalid value: ${show(value)}: ${detail}` });
  }

  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    this.issues.push({ field, message: `Unsupported value: ${show(value)}: supported values: ${quoteList(supported)}` });
  }

  unknownField(field: string): void {
    this.issues.push({ field, message: `unknown field "${field}"` });
  }

  typeInvalid(field: string, value: unknown, type: string): void {
    this.issues.push({ field, message: `Invalid value: ${show(value)}: ${field} in body must be of type ${type}` });
  }

  /** An optional int32 that must be >= `min` when present. Returns the value when valid. */
  integer(field: string, value: unknown, min: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.typeInvalid(field, value, 'integer');
      return undefined;
    }
    if (value < min) {
      this.invalid(field, value, `must be greater than or equal to ${min}`);
      return undefined;
    }
    if (value > INT32_MAX) {
      this.invalid(field, value, `must be less than or equal to ${INT32_MAX}`);
      return undefined;
    }
    return value;
  }

  boolean(field: string, value: unknown): void {
    if (value !== undefined && value !== null && typeof value !== 'boolean') this.typeInvalid(field, value, 'boolean');
  }

  string(field: string, value: unknown): value is string | undefined {
    if (value === undefined || value === null) return true;
    if (typeof value !== 'string') {
      this.typeInvalid(field, value, 'string');
      return false;
    }
    return true;
  }

  oneOf(field: string, value: unknown, supported: readonly string[]): void {
    if (value === undefined || value === null) return;
    if (!this.string(field, value)) return;
    if (typeof value === 'string' && !supported.includes(value)) this.notSupported(field, value, supported);
  }

  unknownFields(path: string, object: Json, known: ReadonlySet<string>): void {
    for (const key of Object.keys(object)) {
      if (!known.has(key)) this.unknownField(`${path}.${key}`);
    }
  }
}

function dns1035Errors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > MAX_LABEL_LENGTH) errors.push(`must be no more than ${MAX_LABEL_LENGTH} characters`);
  if (!DNS1035_LABEL.test(value)) {
    errors.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    );
  }
  return errors;
}

function validateQualifiedKey(c: Collector, field: string, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > MAX_SUBDOMAIN_LENGTH || !DNS1123_SUBDOMAIN.test(prefix))) {
    c.invalid(field, key, 'prefix part must be a lowercase RFC 1123 subdomain');
  } else if (name.length === 0 || name.length > MAX_LABEL_LENGTH || !QUALIFIED_NAME.test(name)) {
    c.invalid(
      field,
      key,
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)",
    );
  }
}

function validateStringMap(c: Collector, field: string, value: unknown, checkValues: boolean): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    c.typeInvalid(field, value, 'object');
    return;
  }
  let bytes = 0;
  for (const [key, v] of Object.entries(value)) {
    const entry = `${field}[${key}]`;
    validateQualifiedKey(c, field, key);
    if (typeof v !== 'string') {
      c.typeInvalid(entry, v, 'string');
      continue;
    }
    bytes += key.length + v.length;
    if (checkValues && (v.length > MAX_LABEL_LENGTH || !LABEL_VALUE.test(v))) {
      c.invalid(
        entry,
        v,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)",
      );
    }
  }
  if (!checkValues && bytes > MAX_ANNOTATIONS_BYTES) c.invalid(field, '<omitted>', `must have at most ${MAX_ANNOTATIONS_BYTES} bytes`);
}

function validateMetadata(c: Collector, metadata: unknown, workerReplicas: number): void {
  if (!isObject(metadata)) {
    c.required('metadata.name', 'name is required');
    return;
  }
  const name = metadata['name'];
  if (name === undefined || name === null || name === '') {
    c.required('metadata.name', 'name is required');
  } else if (typeof name !== 'string') {
    c.typeInvalid('metadata.name', name, 'string');
  } else {
    const nameErrors = dns1035Errors(name);
    if (nameErrors.length > 0) {
      c.invalid('metadata.name', name, nameErrors.join(', '));
    } else {
      // The operator's check: the hostname of the last worker must be a valid DNS label.
      const lastWorker = `${name}-worker-${Math.max(workerReplicas, 1) - 1}`;
      const hostErrors = dns1035Errors(lastWorker);
      if (hostErrors.length > 0) {
        c.invalid('metadata.name', name, `will not be able to create pod with invalid DNS label "${lastWorker}": ${hostErrors.join(', ')}`);
      }
    }
  }
  const namespace = metadata['namespace'];
  if (namespace !== undefined && namespace !== null) {
    if (typeof namespace !== 'string') c.typeInvalid('metadata.namespace', namespace, 'string');
    else if (namespace.length > MAX_LABEL_LENGTH || !DNS1123_LABEL.test(namespace)) {
      c.invalid('metadata.namespace', namespace, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character');
    }
  }
  validateStringMap(c, 'metadata.labels', metadata['labels'], true);
  validateStringMap(c, 'metadata.annotations', metadata['annotations'], false);
}

function validateResourceList(c: Collector, field: string, value: unknown): Map<string, ReturnType<typeof parseQuantity>> {
  const out = new Map<string, ReturnType<typeof parseQuantity>>();
  if (value === undefined || value === null) return out;
  if (!isObject(value)) {
    c.typeInvalid(field, value, 'object');
    return out;
  }
  for (const [name, raw] of Object.entries(value)) {
    const entry = `${field}[${name}]`;
    if ((typeof raw !== 'string' && typeof raw !== 'number') || !isValidQuantity(String(raw))) {
      c.invalid(entry, raw, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
      continue;
    }
    const q = parseQuantity(raw);
    if (q.nano < 0n) {
      c.invalid(entry, raw, 'must be greater than or equal to 0');
      continue;
    }
    out.set(name, q);
  }
  return out;
}

/** Extended resources (`nvidia.com/gpu`) cannot be overcommitted: whole numbers, request == limit. */
function isExtendedResource(name: string): boolean {
  return name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');
}

function validateResources(c: Collector, field: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    c.typeInvalid(field, value, 'object');
    return;
  }
  const limits = validateResourceList(c, `${field}.limits`, value['limits']);
  const requests = validateResourceList(c, `${field}.requests`, value['requests']);
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    if (limit && compare(request, limit) > 0) {
      c.invalid(`${field}.requests[${name}]`, String(raw(value['requests'], name)), `must be less than or equal to ${name} limit of ${String(raw(value['limits'], name))}`);
    }
    if (isExtendedResource(name)) {
      if (!limit) c.required(`${field}.limits[${name}]`, 'Limit must be set for non overcommitable resources');
      else if (compare(request, limit) !== 0) c.invalid(`${field}.requests[${name}]`, String(raw(value['requests'], name)), 'must be equal to limit');
    }
  }
  for (const [name, q] of [...limits, ...requests]) {
    if (isExtendedResource(name) && q.nano % 1_000_000_000n !== 0n) {
      c.invalid(`${field}.limits[${name}]`, String(raw(value['limits'], name) ?? raw(value['requests'], name)), 'must be an integer');
    }
  }
}

function raw(list: unknown, key: string): unknown {
  return isObject(list) ? list[key] : undefined;
}

function validateStringArray(c: Collector, field: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    c.typeInvalid(field, value, 'array');
    return;
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string') c.typeInvalid(`${field}[${i}]`, item, 'string');
  });
}

function validateContainers(c: Collector, field: string, value: unknown): void {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    c.required(field, 'must define at least one container');
    return;
  }
  if (!Array.isArray(value)) {
    c.typeInvalid(field, value, 'array');
    return;
  }
  const names = new Set<string>();
  value.forEach((container, i) => {
    const path = `${field}[${i}]`;
    if (!isObject(container)) {
      c.typeInvalid(path, container, 'object');
      return;
    }
    const name = container['name'];
    if (name === undefined || name === null || name === '') c.required(`${path}.name`);
    else if (typeof name !== 'string') c.typeInvalid(`${path}.name`, name, 'string');
    else if (name.length > MAX_LABEL_LENGTH || !DNS1123_LABEL.test(name)) {
      c.invalid(`${path}.name`, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
    } else if (names.has(name)) {
      c.issues.push({ field: `${path}.name`, message: `Duplicate value: ${show(name)}` });
    } else {
      names.add(name);
    }
    const image = container['image'];
    if (image === undefined || image === null || (typeof image === 'string' && image.trim() === '')) c.required(`${path}.image`);
    else c.string(`${path}.image`, image);
    validateStringArray(c, `${path}.command`, container['command']);
    validateStringArray(c, `${path}.args`, container['args']);
    const env = container['env'];
    if (env !== undefined && env !== null) {
      if (!Array.isArray(env)) c.typeInvalid(`${path}.env`, env, 'array');
      else {
        env.forEach((e, j) => {
          const envPath = `${path}.env[${j}]`;
          const envName = isObject(e) ? e['name'] : undefined;
          if (typeof envName !== 'string' || envName === '') c.required(`${envPath}.name`);
          else if (!ENV_VAR_NAME.test(envName)) {
            c.invalid(`${envPath}.name`, envName, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit");
          }
        });
      }
    }
    validateResources(c, `${path}.resources`, container['resources']);
  });
}

function validateReplicaSpec(c: Collector, type: string, value: unknown): void {
  const path = `spec.mpiReplicaSpecs[${type}]`;
  if (!isObject(value)) {
    c.typeInvalid(path, value, 'object');
    return;
  }
  c.unknownFields(path, value, REPLICA_SPEC_FIELDS);
  const launcher = type === REPLICA_LAUNCHER;
  const replicas = c.integer(`${path}.replicas`, value['replicas'], launcher ? 0 : 1);
  if (launcher && replicas !== undefined && replicas !== 1) c.invalid(`${path}.replicas`, replicas, 'must be 1');
  if (!launcher && value['replicas'] === undefined) c.required(`${path}.replicas`, 'must define number of replicas');
  c.oneOf(`${path}.restartPolicy`, value['restartPolicy'], REPLICA_RESTART_POLICY_VALUES);
  const template = value['template'];
  if (!isObject(template)) {
    c.required(`${path}.template.spec.containers`, 'must define at least one container');
    return;
  }
  const spec = template['spec'];
  if (!isObject(spec)) {
    c.required(`${path}.template.spec.containers`, 'must define at least one container');
    return;
  }
  validateContainers(c, `${path}.template.spec.containers`, spec['containers']);
  if (spec['initContainers'] !== undefined) validateInitContainers(c, `${path}.template.spec.initContainers`, spec['initContainers']);
  const meta = template['metadata'];
  if (isObject(meta)) {
    validateStringMap(c, `${path}.template.metadata.labels`, meta['labels'], true);
    validateStringMap(c, `${path}.template.metadata.annotations`, meta['annotations'], false);
  }
}

function validateInitContainers(c: Collector, field: string, value: unknown): void {
  if (!Array.isArray(value)) {
    c.typeInvalid(field, value, 'array');
    return;
  }
  if (value.length > 0) validateContainers(c, field, value);
}

function validateRunPolicy(c: Collector, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    c.typeInvalid('spec.runPolicy', value, 'object');
    return;
  }
  c.unknownFields('spec.runPolicy', value, RUN_POLICY_FIELDS);
  c.oneOf('spec.runPolicy.cleanPodPolicy', value['cleanPodPolicy'], CLEAN_POD_POLICY_VALUES);
  c.integer('spec.runPolicy.ttlSecondsAfterFinished', value['ttlSecondsAfterFinished'], 0);
  const deadline = value['activeDeadlineSeconds'];
  if (deadline !== undefined && deadline !== null) {
    if (typeof deadline !== 'number' || !Number.isInteger(deadline)) c.typeInvalid('spec.runPolicy.activeDeadlineSeconds', deadline, 'integer');
    else if (deadline < 0) c.invalid('spec.runPolicy.activeDeadlineSeconds', deadline, 'must be greater than or equal to 0');
  }
  c.integer('spec.runPolicy.backoffLimit', value['backoffLimit'], 0);
  c.boolean('spec.runPolicy.suspend', value['suspend']);
  c.oneOf('spec.runPolicy.managedBy', value['managedBy'], MANAGED_BY_VALUES);
  const scheduling = value['schedulingPolicy'];
  if (scheduling !== undefined && scheduling !== null) {
    if (!isObject(scheduling)) c.typeInvalid('spec.runPolicy.schedulingPolicy', scheduling, 'object');
    else {
      c.integer('spec.runPolicy.schedulingPolicy.minAvailable', scheduling['minAvailable'], 0);
      c.integer('spec.runPolicy.schedulingPolicy.scheduleTimeoutSeconds', scheduling['scheduleTimeoutSeconds'], 0);
      c.string('spec.runPolicy.schedulingPolicy.queue', scheduling['queue']);
      c.string('spec.runPolicy.schedulingPolicy.priorityClass', scheduling['priorityClass']);
      validateResourceList(c, 'spec.runPolicy.schedulingPolicy.minResources', scheduling['minResources']);
    }
  }
}

function workerReplicasOf(spec: unknown): number {
  if (!isObject(spec)) return 1;
  const specs = spec['mpiReplicaSpecs'];
  if (!isObject(specs)) return 1;
  const worker = specs[REPLICA_WORKER];
  if (!isObject(worker)) return 1;
  const replicas = worker['replicas'];
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas > 0 ? replicas : 1;
}

/** Validates a complete MPIJob manifest (parsed JSON/YAML). An empty list means valid. */
export function validateMpiJob(manifest: unknown): FieldIssue[] {
  const c = new Collector();
  if (!isObject(manifest)) {
    c.typeInvalid('', manifest, 'object');
    return c.issues;
  }
  if (manifest['apiVersion'] !== MPIJOB_API_VERSION) c.notSupported('apiVersion', manifest['apiVersion'] ?? '', [MPIJOB_API_VERSION]);
  if (manifest['kind'] !== MPIJOB_KIND) c.notSupported('kind', manifest['kind'] ?? '', [MPIJOB_KIND]);
  const spec = manifest['spec'];
  validateMetadata(c, manifest['metadata'], workerReplicasOf(spec));
  if (!isObject(spec)) {
    c.required('spec.mpiReplicaSpecs', 'must have replica specs');
    return c.issues;
  }
  c.unknownFields('spec', spec, SPEC_FIELDS);
  c.integer('spec.slotsPerWorker', spec['slotsPerWorker'], 0);
  c.boolean('spec.runLauncherAsWorker', spec['runLauncherAsWorker']);
  const mountPath = spec['sshAuthMountPath'];
  if (mountPath === '') c.required('spec.sshAuthMountPath', 'must have a mount path for SSH credentials');
  else c.string('spec.sshAuthMountPath', mountPath);
  c.oneOf('spec.launcherCreationPolicy', spec['launcherCreationPolicy'], LAUNCHER_CREATION_POLICY_VALUES);
  c.oneOf('spec.mpiImplementation', spec['mpiImplementation'], MPI_IMPLEMENTATION_VALUES);
  validateRunPolicy(c, spec['runPolicy']);
  const replicaSpecs = spec['mpiReplicaSpecs'];
  if (!isObject(replicaSpecs)) {
    c.required('spec.mpiReplicaSpecs', 'must have replica specs');
    return c.issues;
  }
  for (const key of Object.keys(replicaSpecs)) {
    if (!(REPLICA_TYPES as readonly string[]).includes(key)) c.notSupported(`spec.mpiReplicaSpecs[${key}]`, key, REPLICA_TYPES);
  }
  if (replicaSpecs[REPLICA_LAUNCHER] === undefined || replicaSpecs[REPLICA_LAUNCHER] === null) {
    c.required(`spec.mpiReplicaSpecs[${REPLICA_LAUNCHER}]`, `must have ${REPLICA_LAUNCHER} replica spec`);
  } else {
    validateReplicaSpec(c, REPLICA_LAUNCHER, replicaSpecs[REPLICA_LAUNCHER]);
  }
  if (replicaSpecs[REPLICA_WORKER] !== undefined && replicaSpecs[REPLICA_WORKER] !== null) {
    validateReplicaSpec(c, REPLICA_WORKER, replicaSpecs[REPLICA_WORKER]);
  }
  return c.issues;
}

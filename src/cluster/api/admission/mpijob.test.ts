import { describe, expect, it } from 'vitest';
import type { AdmissionRequest, InternalStore } from '../admission.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { StatusError, type StatusCause } from '../status.ts';
import { isRecord, type KubeObject } from '../types.ts';
import { applyOperatorDefaults, mpiJobAdmission, validateMPIJob } from './mpijob.ts';

function resource(group: string, version: string, plural: string): ResourceInfo {
  const info = findResource(group, version, plural);
  if (!info) throw new Error(`no ${plural}`);
  return info;
}

const MPIJOBS = resource('kubeflow.org', 'v2beta1', 'mpijobs');
const CONFIGMAPS = resource('', 'v1', 'configmaps');

/** MPIJob admission never needs the store; any use of it is a bug. */
const NO_STORE: InternalStore = {
  list: () => {
    throw new Error('unexpected store use');
  },
  get: () => {
    throw new Error('unexpected store use');
  },
  onChange: () => {
    throw new Error('unexpected store use');
  },
  writeStatus: () => {
    throw new Error('unexpected store use');
  },
};

function piJob(name = 'pi'): KubeObject {
  return {
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name, namespace: 'team-a' },
    spec: {
      slotsPerWorker: 1,
      runPolicy: { cleanPodPolicy: 'Running', ttlSecondsAfterFinished: 60 },
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'launcher', image: 'mpioperator/mpi-pi', command: ['mpirun', '-n', '2', 'pi'] }] } },
        },
        Worker: {
          replicas: 2,
          template: { spec: { containers: [{ name: 'worker', image: 'mpioperator/mpi-pi', command: null }] } },
        },
      },
    },
  };
}

function at(value: unknown, ...keys: Array<string | number>): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

/** Sets a nested field, creating objects on the way; `undefined` deletes it. */
function withField(job: KubeObject, path: string[], value: unknown): KubeObject {
  const copy = structuredClone(job);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (isRecord(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function request(object: KubeObject, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    operation: 'CREATE',
    info: MPIJOBS,
    namespace: 'team-a',
    name: object.metadata.name ?? '',
    object,
    oldObject: undefined,
    dryRun: false,
    user: { username: 'alice', groups: ['system:authenticated'] },
    ...overrides,
  };
}

/** Runs the plugin as the REST layer does: mutate, then validate what mutate returned. */
function admit(req: AdmissionRequest): KubeObject | undefined {
  const mutated = mpiJobAdmission.mutate?.(req, NO_STORE) ?? req.object;
  mpiJobAdmission.validate?.({ ...req, object: mutated }, NO_STORE);
  return mutated;
}

function refusal(req: AdmissionRequest): StatusError {
  try {
    admit(req);
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('the request was admitted');
}

function causesOf(job: KubeObject): StatusCause[] | undefined {
  return refusal(request(job)).body.details?.causes;
}

describe('mpiJobAdmission', () => {
  it('admits the pi job, stored with the CRD defaults and without the empty command', () => {
    const stored = admit(request(piJob()));
    expect(stored?.spec).toMatchObject({ sshAuthMountPath: '/root/.ssh', mpiImplementation: 'OpenMPI', launcherCreationPolicy: 'AtStartup' });
    const worker = at(stored, 'spec', 'mpiReplicaSpecs', 'Worker', 'template', 'spec', 'containers', 0);
    expect(worker).toEqual({ name: 'worker', image: 'mpioperator/mpi-pi' });
  });

  it('refuses a schema violation with the 422 a real server gives, without running the operator rules', () => {
    const job = withField(withField(piJob(), ['spec', 'mpiImplementation'], 'Foo'), ['spec', 'slotsPerWorker'], -1);
    const error = refusal(request(job));
    expect(error.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'MPIJob.kubeflow.org "pi" is invalid: spec.mpiImplementation: Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"',
      reason: 'Invalid',
      details: {
        name: 'pi',
        group: 'kubeflow.org',
        kind: 'MPIJob',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"',
            field: 'spec.mpiImplementation',
          },
        ],
      },
      code: 422,
    });
  });

  it.each([
    [
      'a Launcher with two replicas',
      ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'],
      2,
      { reason: 'FieldValueInvalid', message: 'Invalid value: 2: must be 1', field: 'spec.mpiReplicaSpecs[Launcher].replicas' },
    ],
    [
      'a job without a Launcher',
      ['spec', 'mpiReplicaSpecs', 'Launcher'],
      undefined,
      { reason: 'FieldValueRequired', message: 'Required value: must have Launcher replica spec', field: 'spec.mpiReplicaSpecs[Launcher]' },
    ],
    [
      'a Worker with no replicas',
      ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'],
      0,
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: must be greater than or equal to 1',
        field: 'spec.mpiReplicaSpecs[Worker].replicas',
      },
    ],
    [
      'a Worker whose replicas are left unset (the operator defaults them to 0)',
      ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'],
      undefined,
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: must be greater than or equal to 1',
        field: 'spec.mpiReplicaSpecs[Worker].replicas',
      },
    ],
    [
      'restartPolicy Always',
      ['spec', 'mpiReplicaSpecs', 'Worker', 'restartPolicy'],
      'Always',
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Always": supported values: "Never", "OnFailure"',
        field: 'spec.mpiReplicaSpecs[Worker].restartPolicy',
      },
    ],
    [
      'restartPolicy ExitCode, which the v2 controller does not accept',
      ['spec', 'mpiReplicaSpecs', 'Launcher', 'restartPolicy'],
      'ExitCode',
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "ExitCode": supported values: "Never", "OnFailure"',
        field: 'spec.mpiReplicaSpecs[Launcher].restartPolicy',
      },
    ],
    [
      'a template with an empty container list',
      ['spec', 'mpiReplicaSpecs', 'Worker', 'template', 'spec', 'containers'],
      [],
      {
        reason: 'FieldValueRequired',
        message: 'Required value: must define at least one container',
        field: 'spec.mpiReplicaSpecs[Worker].template.spec.containers',
      },
    ],
    [
      'negative slotsPerWorker',
      ['spec', 'slotsPerWorker'],
      -1,
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.slotsPerWorker' },
    ],
    [
      'an unknown cleanPodPolicy',
      ['spec', 'runPolicy', 'cleanPodPolicy'],
      'Sometimes',
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Sometimes": supported values: "All", "None", "Running"',
        field: 'spec.runPolicy.cleanPodPolicy',
      },
    ],
    [
      'negative ttlSecondsAfterFinished',
      ['spec', 'runPolicy', 'ttlSecondsAfterFinished'],
      -5,
      { reason: 'FieldValueInvalid', message: 'Invalid value: -5: must be greater than or equal to 0', field: 'spec.runPolicy.ttlSecondsAfterFinished' },
    ],
    [
      'negative activeDeadlineSeconds',
      ['spec', 'runPolicy', 'activeDeadlineSeconds'],
      -1,
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.runPolicy.activeDeadlineSeconds' },
    ],
    [
      'negative backoffLimit',
      ['spec', 'runPolicy', 'backoffLimit'],
      -2,
      { reason: 'FieldValueInvalid', message: 'Invalid value: -2: must be greater than or equal to 0', field: 'spec.runPolicy.backoffLimit' },
    ],
    [
      'an unknown managedBy',
      ['spec', 'runPolicy', 'managedBy'],
      'someone-else',
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "someone-else": supported values: "kubeflow.org/mpi-operator", "kueue.x-k8s.io/multikueue"',
        field: 'spec.runPolicy.managedBy',
      },
    ],
    [
      'an unknown launcherCreationPolicy (the CRD has no enum for it)',
      ['spec', 'launcherCreationPolicy'],
      'Later',
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Later": supported values: "AtStartup", "WaitForWorkersReady"',
        field: 'spec.launcherCreationPolicy',
      },
    ],
  ])('refuses %s with its cause', (_label, path, value, cause) => {
    expect(causesOf(withField(piJob(), path, value))).toEqual([cause]);
  });

  it('refuses a name whose last worker pod name would not be a DNS-1035 label', () => {
    const name = `a${'b'.repeat(53)}`;
    const job = withField(piJob(name), ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], 11);
    const error = refusal(request(job));
    expect(error.body.details?.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": will not able to create pod and service with invalid DNS label "${name}-worker-10": must be no more than 63 characters`,
        field: 'metadata.name',
      },
    ]);
    // One worker fewer and the longest pod name, 63 characters, fits.
    expect(admit(request(withField(job, ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], 10)))).toBeDefined();
  });

  it('refuses a name that starts with a digit, which a DNS-1035 label may not', () => {
    expect(causesOf(piJob('1pi'))?.[0]?.message).toBe(
      `Invalid value: "1pi": will not able to create pod and service with invalid DNS label "1pi-worker-1": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    );
  });

  it('lists every broken rule in one 422', () => {
    let job = withField(piJob(), ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'], 3);
    job = withField(job, ['spec', 'runPolicy', 'backoffLimit'], -1);
    job = withField(job, ['spec', 'mpiReplicaSpecs', 'Worker', 'restartPolicy'], 'Always');
    const error = refusal(request(job));
    expect(error.code).toBe(422);
    expect(error.body.message).toBe(
      'MPIJob.kubeflow.org "pi" is invalid: [spec.mpiReplicaSpecs[Launcher].replicas: Invalid value: 3: must be 1, ' +
        'spec.mpiReplicaSpecs[Worker].restartPolicy: Unsupported value: "Always": supported values: "Never", "OnFailure", ' +
        'spec.runPolicy.backoffLimit: Invalid value: -1: must be greater than or equal to 0]',
    );
    expect(error.body.details?.causes?.map((c) => c.field)).toEqual([
      'spec.mpiReplicaSpecs[Launcher].replicas',
      'spec.mpiReplicaSpecs[Worker].restartPolicy',
      'spec.runPolicy.backoffLimit',
    ]);
  });

  it('applies the same rules to an update', () => {
    const old = piJob();
    const next = withField(old, ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], 0);
    expect(refusal(request(next, { operation: 'UPDATE', oldObject: old })).code).toBe(422);
  });

  it('lets a metadata-only update through even when the stored spec breaks the rules', () => {
    const submitted = withField(piJob(), ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'], 2);
    const stored = mpiJobAdmission.mutate?.(request(submitted), NO_STORE) ?? submitted;
    const relabelled = withField(submitted, ['metadata', 'labels'], { team: 'a' });
    expect(admit(request(relabelled, { operation: 'UPDATE', oldObject: stored }))?.metadata.labels).toEqual({ team: 'a' });
  });

  it('checks a status write against the schema only, not the operator rules', () => {
    const stored = withField(piJob(), ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'], 2);
    const withStatus = withField(stored, ['status', 'startTime'], '2026-11-28T10:00:00Z');
    expect(admit(request(withStatus, { operation: 'UPDATE', subresource: 'status', oldObject: stored }))).toBeDefined();
    const badStatus = withField(stored, ['status', 'startTime'], 'now');
    expect(refusal(request(badStatus, { operation: 'UPDATE', subresource: 'status', oldObject: stored })).body.details?.causes?.[0]?.field).toBe(
      'status.startTime',
    );
  });

  it('prunes what a status write sets outside the schema', () => {
    const job = withField(piJob(), ['status', 'observedGeneration'], 3);
    const stored = admit(request(job, { operation: 'UPDATE', subresource: 'status', oldObject: piJob() }));
    expect(stored?.status).toEqual({});
  });

  it('leaves deletes and other kinds alone', () => {
    const broken = withField(piJob(), ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'], 5);
    expect(mpiJobAdmission.mutate?.(request(broken, { operation: 'DELETE', object: undefined, oldObject: broken }), NO_STORE)).toBeUndefined();
    expect(() => mpiJobAdmission.validate?.(request(broken, { operation: 'DELETE', object: undefined, oldObject: broken }), NO_STORE)).not.toThrow();
    const configMap: KubeObject = { metadata: { name: 'c' }, data: { a: 'b' }, spec: null };
    expect(mpiJobAdmission.mutate?.(request(configMap, { info: CONFIGMAPS }), NO_STORE)).toBeUndefined();
    expect(() => mpiJobAdmission.validate?.(request(configMap, { info: CONFIGMAPS }), NO_STORE)).not.toThrow();
  });
});

describe('validateMPIJob', () => {
  it('finds nothing wrong with the pi job', () => {
    expect(validateMPIJob(piJob())).toEqual([]);
  });

  it('accepts an empty sshAuthMountPath, which the operator defaults to /root/.ssh before validating', () => {
    expect(validateMPIJob(withField(piJob(), ['spec', 'sshAuthMountPath'], ''))).toEqual([]);
  });

  it('accepts a job with a Launcher only, as the Worker spec is optional', () => {
    expect(validateMPIJob(withField(piJob(), ['spec', 'mpiReplicaSpecs', 'Worker'], undefined))).toEqual([]);
  });

  it('requires replica specs at all', () => {
    expect(validateMPIJob(withField(piJob(), ['spec', 'mpiReplicaSpecs'], undefined))).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value: must have replica specs', field: 'spec.mpiReplicaSpecs' },
    ]);
  });
});

describe('applyOperatorDefaults', () => {
  it('fills in what the Go defaulter fills in, on a copy', () => {
    const job = withField(withField(piJob(), ['spec', 'runPolicy'], undefined), ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], undefined);
    const defaulted = applyOperatorDefaults(job);
    expect(defaulted.spec).toMatchObject({
      slotsPerWorker: 1,
      sshAuthMountPath: '/root/.ssh',
      mpiImplementation: 'OpenMPI',
      launcherCreationPolicy: 'AtStartup',
      runPolicy: { cleanPodPolicy: 'None' },
      mpiReplicaSpecs: { Launcher: { replicas: 1, restartPolicy: 'OnFailure' }, Worker: { replicas: 0, restartPolicy: 'Never' } },
    });
    expect(job.spec).not.toHaveProperty('runPolicy');
  });
});

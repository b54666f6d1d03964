import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { isRecord, type KubeObject } from '../types.ts';
import {
  MPIJOB_CRD_PATH,
  MPIJOB_SCHEMA,
  normalizeWithSchema,
  readCrdSchema,
  validateWithSchema,
  type SchemaNode,
} from './schema.ts';

function manifest(yamlText: string): KubeObject {
  const parsed: unknown = parseYaml(yamlText);
  if (!isRecord(parsed) || !isRecord(parsed.metadata)) throw new Error('fixture is not an object');
  return { ...parsed, metadata: parsed.metadata };
}

/** The operator's pi example: note the empty `command:` of the worker, which YAML reads as null. */
const PI_OPENMPI = `
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: pi
  namespace: team-a
spec:
  slotsPerWorker: 1
  runPolicy:
    cleanPodPolicy: Running
    ttlSecondsAfterFinished: 60
  sshAuthMountPath: /home/mpiuser/.ssh
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-launcher
            securityContext:
              runAsUser: 1000
            command:
            - mpirun
            args:
            - -n
            - "2"
            - /home/mpiuser/pi
            resources:
              limits:
                cpu: 1
                memory: 1Gi
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-worker
            securityContext:
              runAsUser: 1000
            command:
            args:
            - /usr/sbin/sshd
            - -De
            - -f
            - /home/mpiuser/.sshd_config
            resources:
              limits:
                cpu: 1
                memory: 1Gi
`;

const PI_INTEL = `
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: pi-intel
spec:
  slotsPerWorker: 1
  mpiImplementation: Intel
  runPolicy:
    cleanPodPolicy: Running
  launcherCreationPolicy: WaitForWorkersReady
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      restartPolicy: OnFailure
      template:
        metadata:
          labels:
            app: pi-intel
        spec:
          hostname: launcher
          containers:
          - image: mpioperator/mpi-pi:intel
            imagePullPolicy: Always
            name: mpi-launcher
            command:
            - bash
            - -c
            - mpirun -n 2 /home/mpiuser/pi
            env:
            - name: I_MPI_DEBUG
              value: "5"
            resources:
              requests:
                cpu: 500m
                memory: 512Mi
    Worker:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          nodeSelector:
            accelerator: none
          tolerations:
          - key: dedicated
            operator: Exists
          containers:
          - image: mpioperator/mpi-pi:intel
            name: mpi-worker
            ports:
            - containerPort: 2222
              name: ssh
            volumeMounts:
            - name: scratch
              mountPath: /scratch
            resources:
              limits:
                cpu: "2"
                memory: 2Gi
                nvidia.com/gpu: 1
          volumes:
          - name: scratch
            emptyDir: {}
`;

function spec(object: KubeObject): Record<string, unknown> {
  if (!isRecord(object.spec)) throw new Error('no spec');
  return object.spec;
}

function at(value: unknown, ...keys: Array<string | number>): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

function normalized(yamlText: string): KubeObject {
  return normalizeWithSchema(MPIJOB_SCHEMA, manifest(yamlText)).object;
}

describe('the project MPIJob CRD', () => {
  const crd: unknown = parseYaml(readFileSync(MPIJOB_CRD_PATH, 'utf8'));

  it('declares mpijobs.kubeflow.org as the operator does: namespaced, v2beta1 only, status subresource, no short names or columns', () => {
    expect(at(crd, 'apiVersion')).toBe('apiextensions.k8s.io/v1');
    expect(at(crd, 'kind')).toBe('CustomResourceDefinition');
    expect(at(crd, 'metadata', 'name')).toBe('mpijobs.kubeflow.org');
    expect(at(crd, 'spec', 'group')).toBe('kubeflow.org');
    expect(at(crd, 'spec', 'scope')).toBe('Namespaced');
    expect(at(crd, 'spec', 'names')).toEqual({ kind: 'MPIJob', listKind: 'MPIJobList', plural: 'mpijobs', singular: 'mpijob' });
    const versions = at(crd, 'spec', 'versions');
    expect(Array.isArray(versions) && versions.length).toBe(1);
    expect(at(versions, 0, 'name')).toBe('v2beta1');
    expect(at(versions, 0, 'served')).toBe(true);
    expect(at(versions, 0, 'storage')).toBe(true);
    expect(at(versions, 0, 'subresources')).toEqual({ status: {} });
    expect(at(versions, 0, 'additionalPrinterColumns')).toBeUndefined();
  });

  it('carries the operator schema facts: required mpiReplicaSpecs, the mpiImplementation enum and the defaults', () => {
    const specSchema = MPIJOB_SCHEMA.properties?.spec;
    expect(specSchema?.required).toEqual(['mpiReplicaSpecs']);
    expect(specSchema?.properties?.mpiImplementation?.enum).toEqual(['OpenMPI', 'Intel', 'MPICH']);
    expect(specSchema?.properties?.slotsPerWorker).toMatchObject({ type: 'integer', format: 'int32', default: 1 });
    expect(specSchema?.properties?.sshAuthMountPath?.default).toBe('/root/.ssh');
    expect(specSchema?.properties?.launcherCreationPolicy?.default).toBe('AtStartup');
    expect(specSchema?.properties?.launcherCreationPolicy?.enum).toBeUndefined();
    expect(specSchema?.properties?.runPolicy?.properties?.suspend?.default).toBe(false);
    expect(specSchema?.properties?.runPolicy?.properties?.cleanPodPolicy?.default).toBeUndefined();
  });
});

describe('readCrdSchema', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'crd-schema-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function crdWith(schema: unknown): string {
    const file = path.join(dir, `crd-${Math.random().toString(36).slice(2)}.yaml`);
    const document = { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: schema } }] } };
    writeFileSync(file, stringifyYaml(document));
    return file;
  }

  it('refuses a node without a type, which a real server would refuse as non-structural', () => {
    const file = crdWith({ type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } });
    expect(() => readCrdSchema(file, 'v1')).toThrow('invalid structural schema at spec: type is required');
  });

  it('refuses properties together with additionalProperties', () => {
    const file = crdWith({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } });
    expect(() => readCrdSchema(file, 'v1')).toThrow('mutually exclusive');
  });

  it('refuses a keyword the emulator cannot enforce instead of ignoring it', () => {
    const file = crdWith({ type: 'object', properties: { a: { type: 'string', oneOf: [{ minLength: 1 }] } } });
    expect(() => readCrdSchema(file, 'v1')).toThrow('invalid structural schema at a: unsupported keyword oneOf');
  });

  it('refuses a default that breaks its own schema', () => {
    const file = crdWith({ type: 'object', properties: { a: { type: 'integer', default: 'one' } } });
    expect(() => readCrdSchema(file, 'v1')).toThrow('default does not validate');
  });

  it('refuses a file without the asked version', () => {
    const file = crdWith({ type: 'object' });
    expect(() => readCrdSchema(file, 'v2')).toThrow('no openAPIV3Schema for version v2');
  });
});

describe('normalizeWithSchema', () => {
  it('applies the CRD defaults to a minimal job', () => {
    const job = normalized(`
metadata: {name: tiny}
spec:
  mpiReplicaSpecs:
    Launcher:
      template: {spec: {containers: [{name: main, image: busybox, ports: [{containerPort: 22}]}]}}
`);
    expect(spec(job)).toMatchObject({
      slotsPerWorker: 1,
      runLauncherAsWorker: false,
      sshAuthMountPath: '/root/.ssh',
      launcherCreationPolicy: 'AtStartup',
      mpiImplementation: 'OpenMPI',
    });
    expect(at(job, 'spec', 'mpiReplicaSpecs', 'Launcher', 'template', 'spec', 'containers', 0, 'ports', 0, 'protocol')).toBe('TCP');
  });

  it('applies defaults inside an object only when the object is there', () => {
    expect(spec(normalized(`metadata: {name: a}\nspec: {mpiReplicaSpecs: {}}`)).runPolicy).toBeUndefined();
    expect(at(normalized(`metadata: {name: a}\nspec: {runPolicy: {}, mpiReplicaSpecs: {}}`), 'spec', 'runPolicy')).toEqual({ suspend: false });
  });

  it('keeps values the user set over the defaults', () => {
    const job = normalized(`metadata: {name: a}\nspec: {slotsPerWorker: 4, mpiImplementation: MPICH, mpiReplicaSpecs: {}}`);
    expect(spec(job)).toMatchObject({ slotsPerWorker: 4, mpiImplementation: 'MPICH' });
  });

  it('drops a null the schema does not allow, such as the empty command of the operator example', () => {
    const job = normalized(PI_OPENMPI);
    const worker = at(job, 'spec', 'mpiReplicaSpecs', 'Worker', 'template', 'spec', 'containers', 0);
    expect(isRecord(worker) && 'command' in worker).toBe(false);
    expect(at(worker, 'args', 0)).toBe('/usr/sbin/sshd');
  });

  it('replaces a null that has a default with the default', () => {
    expect(spec(normalized(`metadata: {name: a}\nspec: {slotsPerWorker: null, mpiReplicaSpecs: {}}`)).slotsPerWorker).toBe(1);
  });

  it('prunes unknown fields and reports their paths, but keeps what preserve-unknown-fields covers', () => {
    const result = normalizeWithSchema(
      MPIJOB_SCHEMA,
      manifest(`
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: a, labels: {team: x}, futureField: kept}
spec:
  bogus: 1
  runPolicy: {cleanPodPolicy: None, retries: 3}
  mpiReplicaSpecs:
    Launcher:
      template:
        metadata: {generateName: x-, labels: {a: b}}
        spec:
          hostNetwork: true
          containers:
          - name: main
            livenessProbe: {exec: {command: [true]}}
            env: [{name: A, value: b, extra: c}]
status: {phase: Running}
`),
    );
    expect(result.unknownFields).toEqual([
      'spec.bogus',
      'spec.runPolicy.retries',
      'spec.mpiReplicaSpecs.Launcher.template.metadata.generateName',
      'spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].env[0].extra',
      'status.phase',
    ]);
    const job = result.object;
    expect(job.metadata).toEqual({ name: 'a', labels: { team: 'x' }, futureField: 'kept' });
    expect(job.apiVersion).toBe('kubeflow.org/v2beta1');
    expect(at(job, 'spec', 'bogus')).toBeUndefined();
    expect(at(job, 'spec', 'mpiReplicaSpecs', 'Launcher', 'template', 'spec', 'hostNetwork')).toBe(true);
    expect(at(job, 'spec', 'mpiReplicaSpecs', 'Launcher', 'template', 'spec', 'containers', 0, 'livenessProbe')).toEqual({
      exec: { command: [true] },
    });
    expect(at(job, 'spec', 'mpiReplicaSpecs', 'Launcher', 'template', 'metadata')).toEqual({ labels: { a: 'b' } });
    expect(job.status).toEqual({});
  });

  it('does not modify its input', () => {
    const input = manifest(PI_OPENMPI);
    const before = structuredClone(input);
    normalizeWithSchema(MPIJOB_SCHEMA, input);
    expect(input).toEqual(before);
  });
});

describe('validateWithSchema', () => {
  it.each([
    ['the OpenMPI pi example', PI_OPENMPI],
    ['an Intel MPI job with env, ports, mounts, a GPU and unknown pod fields', PI_INTEL],
  ])('accepts %s', (_label, yamlText) => {
    expect(validateWithSchema(MPIJOB_SCHEMA, normalized(yamlText))).toEqual([]);
  });

  it('accepts a job with the status the operator writes', () => {
    const job = normalized(`
metadata: {name: a}
spec: {mpiReplicaSpecs: {}}
status:
  startTime: "2026-11-28T10:00:00Z"
  conditions:
  - {type: Created, status: "True", reason: MPIJobCreated, lastTransitionTime: "2026-11-28T10:00:00Z", lastUpdateTime: "2026-11-28T10:00:00Z"}
  replicaStatuses: {Launcher: {active: 1}, Worker: {active: 2, succeeded: 0}}
`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([]);
  });

  it('refuses a value outside the mpiImplementation enum with the real cause', () => {
    const job = normalized(`metadata: {name: a}\nspec: {mpiImplementation: Foo, mpiReplicaSpecs: {}}`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"',
        field: 'spec.mpiImplementation',
      },
    ]);
  });

  it('refuses a job without mpiReplicaSpecs, the one required spec field', () => {
    expect(validateWithSchema(MPIJOB_SCHEMA, normalized(`metadata: {name: a}\nspec: {slotsPerWorker: 1}`))).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.mpiReplicaSpecs' },
    ]);
  });

  it('refuses a string where an integer belongs, worded as the real server words it', () => {
    const job = normalized(`metadata: {name: a}\nspec: {slotsPerWorker: "string", mpiReplicaSpecs: {}}`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.slotsPerWorker in body must be of type integer: "string"',
        field: 'spec.slotsPerWorker',
      },
    ]);
  });

  it('names map entries with dots and list items with brackets', () => {
    const job = normalized(`
metadata: {name: a}
spec:
  mpiReplicaSpecs:
    Worker:
      replicas: 1.5
      template: {spec: {containers: [{image: busybox}]}}
`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "number": spec.mpiReplicaSpecs.Worker.replicas in body must be of type integer: "number"',
        field: 'spec.mpiReplicaSpecs.Worker.replicas',
      },
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.mpiReplicaSpecs.Worker.template.spec.containers[0].name',
      },
    ]);
  });

  it('refuses a pod template without containers', () => {
    const job = normalized(`metadata: {name: a}\nspec: {mpiReplicaSpecs: {Launcher: {template: {spec: {}}}}}`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.mpiReplicaSpecs.Launcher.template.spec.containers' },
    ]);
  });

  it('checks resource quantities against the quantity pattern and the int-or-string type', () => {
    const job = normalized(`
metadata: {name: a}
spec:
  mpiReplicaSpecs:
    Launcher:
      template: {spec: {containers: [{name: m, resources: {limits: {cpu: lots, memory: true}, requests: {cpu: 2}}}]}}
`);
    const causes = validateWithSchema(MPIJOB_SCHEMA, job);
    const base = 'spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].resources.limits';
    expect(causes.map((c) => [c.reason, c.field])).toEqual([
      ['FieldValueInvalid', `${base}.cpu`],
      ['FieldValueTypeInvalid', `${base}.memory`],
    ]);
    expect(causes[0]?.message).toMatch(/^Invalid value: "lots": spec\..*\.cpu in body should match '\^\(\\\+\|-\)\?/);
  });

  it('checks the date-time format of status timestamps and the condition status enum', () => {
    const job = normalized(`
metadata: {name: a}
spec: {mpiReplicaSpecs: {}}
status:
  startTime: yesterday
  conditions: [{type: Running, status: Maybe}]
`);
    expect(validateWithSchema(MPIJOB_SCHEMA, job)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "yesterday": status.startTime in body must be of type date-time: "yesterday"',
        field: 'status.startTime',
      },
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
        field: 'status.conditions[0].status',
      },
    ]);
  });

  it('applies minimum and nullable where a schema declares them', () => {
    const schema: SchemaNode = {
      type: 'object',
      properties: { n: { type: 'integer', minimum: 0 }, s: { type: 'string', nullable: true } },
    };
    const object: KubeObject = { metadata: {}, n: -1, s: null };
    expect(validateWithSchema(schema, object)).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: -1: n in body should be greater than or equal to 0', field: 'n' },
    ]);
    expect(normalizeWithSchema(schema, object).object.s).toBeNull();
  });
});

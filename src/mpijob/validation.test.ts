import { describe, expect, it } from 'vitest';
import { buildManifest, parseManifest, type MpiJobInput } from './manifest.ts';
import { validateMpiJob } from './validation.ts';

const input: MpiJobInput = {
  name: 'pi',
  namespace: 'team-a',
  image: 'mpioperator/mpi-pi:openmpi',
  command: ['mpirun', 'pi'],
  workers: 2,
  workerResources: { requests: { cpu: '1', memory: '1Gi' } },
};

function fields(manifest: unknown): string[] {
  return validateMpiJob(manifest).map((i) => i.field);
}

describe('validateMpiJob on typed input', () => {
  it('accepts a well-formed job', () => {
    expect(validateMpiJob(buildManifest(input).manifest)).toEqual([]);
  });

  it('refuses a name that cannot make valid pod hostnames, as the operator would', () => {
    const long = 'a'.repeat(55);
    const issues = validateMpiJob(buildManifest({ ...input, name: long, workers: 10 }).manifest);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toBe('metadata.name');
    expect(issues[0]?.message).toContain(`${long}-worker-9`);
    expect(fields(buildManifest({ ...input, name: 'Pi_job' }).manifest)).toEqual(['metadata.name']);
  });

  it('refuses zero workers and negative slots with the Kubernetes field path', () => {
    const issues = validateMpiJob(buildManifest({ ...input, workers: 0, slotsPerWorker: -1 }).manifest);
    expect(issues).toEqual([
      { field: 'spec.slotsPerWorker', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { field: 'spec.mpiReplicaSpecs[Worker].replicas', message: 'Invalid value: 0: must be greater than or equal to 1' },
    ]);
  });

  it('refuses bad quantities, requests above limits and fractional GPUs', () => {
    const issues = validateMpiJob(
      buildManifest({
        ...input,
        workerResources: { requests: { cpu: 'lots', memory: '2Gi', gpu: 1 }, limits: { memory: '1Gi' } },
      }).manifest,
    );
    expect(issues.map((i) => i.field)).toEqual([
      'spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.requests[cpu]',
      'spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.requests[memory]',
      'spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.limits[nvidia.com/gpu]',
    ]);
    expect(issues[1]?.message).toContain('must be less than or equal to memory limit of 1Gi');
  });

  it('maps Kubernetes field paths back to the typed input', () => {
    const { inputPath } = buildManifest(input);
    expect(inputPath('spec.mpiReplicaSpecs[Worker].replicas')).toEqual(['input', 'workers']);
    expect(inputPath('metadata.name')).toEqual(['input', 'name']);
    expect(inputPath('spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.requests[cpu]')).toEqual([
      'input',
      'workerResources',
      'requests',
      'cpu',
    ]);
    expect(inputPath('spec.mpiReplicaSpecs[Launcher].template.spec.containers[0].resources.limits[nvidia.com/gpu]')).toEqual([
      'input',
      'launcherResources',
      'limits',
      'gpu',
    ]);
    expect(inputPath('spec.mpiReplicaSpecs[Launcher].template.spec.containers[0].image')).toEqual(['input', 'launcherImage']);
    expect(inputPath('spec.runPolicy.backoffLimit')).toEqual(['input', 'runPolicy', 'backoffLimit']);
    expect(inputPath('metadata.labels[kueue.x-k8s.io/queue-name]')).toEqual(['input', 'queue']);
    expect(inputPath('spec.mpiReplicaSpecs[Worker].template.spec.containers[0].env[1].name')).toEqual(['input', 'env', '1']);
  });

  it('puts the queue in the Kueue label and maps enums to their API spelling', () => {
    const { manifest } = buildManifest({ ...input, queue: 'lq', mpiImplementation: 'INTEL', runPolicy: { cleanPodPolicy: 'RUNNING', suspend: true } });
    expect(manifest.metadata.labels).toEqual({ 'kueue.x-k8s.io/queue-name': 'lq' });
    expect(manifest.spec?.mpiImplementation).toBe('Intel');
    expect(manifest.spec?.runPolicy).toEqual({ cleanPodPolicy: 'Running', suspend: true });
  });
});

const manifestYaml = `
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: pi
spec:
  slotsPerWorker: 1
  runPolicy:
    cleanPodPolicy: Running
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-launcher
            command: [mpirun, -n, "2", /home/mpiuser/pi]
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-worker
            resources:
              limits: {cpu: 1, memory: 1Gi}
`;

describe('validateMpiJob on manifests', () => {
  it('accepts the README example as users write it', () => {
    const parsed = parseManifest(manifestYaml);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(validateMpiJob(parsed.manifest)).toEqual([]);
  });

  it('reports the CRD enum, unknown spec fields, restart policies and missing launcher', () => {
    const issues = validateMpiJob({
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: { name: 'pi' },
      spec: {
        mpiImplementation: 'Foo',
        slotPerWorker: 2,
        mpiReplicaSpecs: { Worker: { replicas: 1, restartPolicy: 'Always', template: { spec: { containers: [{ name: 'w' }] } } } },
      },
    });
    expect(issues).toEqual([
      { field: 'spec.slotPerWorker', message: 'unknown field "spec.slotPerWorker"' },
      { field: 'spec.mpiImplementation', message: 'Unsupported value: "Foo": supported values: "OpenMPI", "Intel", "MPICH"' },
      { field: 'spec.mpiReplicaSpecs[Launcher]', message: 'Required value: must have Launcher replica spec' },
      { field: 'spec.mpiReplicaSpecs[Worker].restartPolicy', message: 'Unsupported value: "Always": supported values: "Never", "OnFailure"' },
      { field: 'spec.mpiReplicaSpecs[Worker].template.spec.containers[0].image', message: 'Required value' },
    ]);
  });

  it('refuses another apiVersion or kind, and type errors', () => {
    expect(fields({ apiVersion: 'kubeflow.org/v1', kind: 'MPIJob', metadata: { name: 'x' }, spec: { mpiReplicaSpecs: {} } })).toEqual([
      'apiVersion',
      'spec.mpiReplicaSpecs[Launcher]',
    ]);
    const typed = validateMpiJob({
      apiVersion: 'kubeflow.org/v2beta1',
      kind: 'MPIJob',
      metadata: { name: 'x' },
      spec: { slotsPerWorker: '2', mpiReplicaSpecs: { Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'l', image: 'i' }] } } } } },
    });
    expect(typed).toEqual([{ field: 'spec.slotsPerWorker', message: 'Invalid value: "2": spec.slotsPerWorker in body must be of type integer' }]);
  });
});

describe('parseManifest', () => {
  it('reads JSON as well as YAML', () => {
    const parsed = parseManifest(JSON.stringify({ apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob' }));
    expect(parsed).toEqual({ ok: true, manifest: { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob' } });
  });

  it('refuses several documents, scalars and syntax errors with a message', () => {
    const several = parseManifest('kind: MPIJob\n---\nkind: MPIJob\n');
    expect(several.ok ? '' : several.issue.message).toMatch(/2 documents/);
    const scalar = parseManifest('just text');
    expect(scalar.ok ? '' : scalar.issue.message).toMatch(/single object/);
    const broken = parseManifest('spec: [unclosed');
    expect(broken.ok ? '' : broken.issue.message).toMatch(/does not parse/);
    const empty = parseManifest('# nothing\n');
    expect(empty.ok ? '' : empty.issue.message).toMatch(/empty/);
  });
});

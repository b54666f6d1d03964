// Objects the comparison tests create: a minimal valid MPIJob and pod, as a user would write them.

export const MPIJOB_GROUP = 'kubeflow.org';
export const MPIJOB_VERSION = 'v2beta1';
export const MPIJOB_PLURAL = 'mpijobs';
export const MPIJOB_API_VERSION = `${MPIJOB_GROUP}/${MPIJOB_VERSION}`;
export const TEST_IMAGE = 'mpioperator/mpi-pi:openmpi';
/**
 * A `runPolicy.managedBy` that hands the job to MultiKueue: the MPI operator (real or simulated)
 * skips such jobs, so the API-level tests see only their own writes. (Any other foreign value
 * would do on the real server; the emulator admits only the operator's two known managers.)
 */
export const FOREIGN_MANAGER = 'kueue.x-k8s.io/multikueue';
export const UNMANAGED_RUN_POLICY = { suspend: true, managedBy: FOREIGN_MANAGER };

export interface MpiJobManifest {
  apiVersion: string;
  kind: 'MPIJob';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string };
  spec: Record<string, unknown>;
}

/** A valid MPIJob; `spec` entries given replace the defaults wholesale. */
export function mpiJob(name: string, namespace: string, spec: Record<string, unknown> = {}): MpiJobManifest {
  return {
    apiVersion: MPIJOB_API_VERSION,
    kind: 'MPIJob',
    metadata: { name, namespace },
    spec: {
      runPolicy: UNMANAGED_RUN_POLICY,
      mpiReplicaSpecs: {
        Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'launcher', image: TEST_IMAGE }] } } },
        Worker: { replicas: 1, template: { spec: { containers: [{ name: 'worker', image: TEST_IMAGE }] } } },
      },
      ...spec,
    },
  };
}

export function mpiJobCoordinates(namespace: string): { group: string; version: string; plural: string; namespace: string } {
  return { group: MPIJOB_GROUP, version: MPIJOB_VERSION, plural: MPIJOB_PLURAL, namespace };
}

// MPIJob manifests the client tests submit: a pi job small enough for team-a's quota whose
// simulated run (sped up by the test cluster's time scale) takes about a second.

export interface PiJobOptions {
  name: string;
  namespace?: string;
  workers?: number;
  /** Simulated run time, Go duration; default 60s (one second at time scale 60). */
  duration?: string;
  /** Extra annotations (`sim.mpijob-gateway.dev/fail-rank` ...). */
  annotations?: Record<string, string>;
}

export function piManifest(options: PiJobOptions): string {
  const workers = options.workers ?? 2;
  const annotations = { 'sim.mpijob-gateway.dev/duration': options.duration ?? '60s', 'sim.mpijob-gateway.dev/log-interval': '5s', ...options.annotations };
  return `apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: ${options.name}
  namespace: ${options.namespace ?? 'team-a'}
  annotations:
${Object.entries(annotations)
  .map(([k, v]) => `    ${k}: "${v}"`)
  .join('\n')}
spec:
  slotsPerWorker: 1
  runPolicy:
    cleanPodPolicy: None
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
            - name: launcher
              image: mpioperator/mpi-pi:openmpi
              command: [mpirun, -n, "${workers}", /home/mpiuser/pi]
              resources:
                requests: { cpu: 250m, memory: 256Mi }
    Worker:
      replicas: ${workers}
      template:
        spec:
          containers:
            - name: worker
              image: mpioperator/mpi-pi:openmpi
              resources:
                requests: { cpu: 500m, memory: 512Mi }
`;
}

// Label keys, annotation keys, kinds and event reasons the gateway reads from the objects the
// MPI operator, the Job controller and Kueue write (see shared/reference/mpijob-api.md).

export const MPIJOB_GROUP = 'kubeflow.org';
export const MPIJOB_VERSION = 'v2beta1';
export const MPIJOB_API_VERSION = `${MPIJOB_GROUP}/${MPIJOB_VERSION}`;
export const MPIJOB_KIND = 'MPIJob';
export const MPIJOB_PLURAL = 'mpijobs';

export const LABEL_JOB_NAME = 'training.kubeflow.org/job-name';
export const LABEL_JOB_ROLE = 'training.kubeflow.org/job-role';
export const LABEL_REPLICA_INDEX = 'training.kubeflow.org/replica-index';
export const LABEL_KUEUE_QUEUE = 'kueue.x-k8s.io/queue-name';

export const ROLE_LAUNCHER = 'launcher';
export const ROLE_WORKER = 'worker';

export const REPLICA_LAUNCHER = 'Launcher';
export const REPLICA_WORKER = 'Worker';

/** Kinds an event's involvedObject may name for a job: the job, its launcher Job, its pods. */
export const KIND_POD = 'Pod';
export const KIND_JOB = 'Job';

export const EVENT_TYPE_WARNING = 'Warning';

export const EVENT_REASON_FAILED_SCHEDULING = 'FailedScheduling';
export const EVENT_REASON_MPIJOB_FAILED = 'MPIJobFailed';
export const EVENT_REASON_VALIDATION_ERROR = 'ValidationError';

/** The quota key that counts MPIJobs in a namespace. */
export const QUOTA_COUNT_MPIJOBS = `count/${MPIJOB_PLURAL}.${MPIJOB_GROUP}`;

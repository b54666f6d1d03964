"""The GraphQL documents the client sends (the gateway's schema is in the repository's schema/)."""

USER_ERROR_FIELDS = """
fragment UserErrorFields on UserError {
  __typename code message
  ... on FieldError { path field }
  ... on QuotaExceededError { shortfall { quota resource requested used hard shortfall } }
}
"""

JOB_SUMMARY = """
fragment JobSummary on MPIJob {
  name namespace uid queue phase createdAt
  labels { key value }
  spec {
    slotsPerWorker podCount
    runPolicy { suspend }
    launcher { image command args }
    worker { replicas image }
  }
  status {
    phase startTime completionTime durationSeconds
    replicaStatuses { type active succeeded failed }
  }
}
"""

POD_FIELDS = """
fragment PodFields on Pod {
  name role rank phase reason ready restarts nodeName
  containers { name state reason exitCode }
}
"""

PREVIEW_FIELDS = """
fragment PreviewFields on MPIJobPreview {
  namespace pods fits
  checks { quota resource requested used hard after exceeded }
  shortfall { quota resource requested used hard shortfall }
  errors { ...UserErrorFields }
}
"""

GET_JOB = (
    """
query GetJob($namespace: String!, $name: String!) {
  mpiJob(namespace: $namespace, name: $name) {
    ...JobSummary
    status { conditions { type status reason message lastTransitionTime } }
    launcher { ...PodFields }
    workers(first: 1000) { nodes { ...PodFields } }
    events(first: 20) { nodes { type reason message count lastSeen involvedObject { kind name } } }
    diagnosis {
      kind summary details
      failure { podName role rank container reason exitCode message }
    }
  }
}
"""
    + JOB_SUMMARY
    + POD_FIELDS
)

GET_JOB_SUMMARY = (
    """
query GetJobSummary($namespace: String!, $name: String!) {
  mpiJob(namespace: $namespace, name: $name) { ...JobSummary }
}
"""
    + JOB_SUMMARY
)

LIST_JOBS = (
    """
query ListJobs($namespace: String, $phase: [MPIJobPhase!], $labelSelector: String, $search: String, $first: Int, $after: String) {
  mpiJobs(namespace: $namespace, phase: $phase, labelSelector: $labelSelector, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...JobSummary }
  }
}
"""
    + JOB_SUMMARY
)

PREVIEW_JOB = (
    """
query PreviewJob($input: CreateMPIJobInput!) {
  previewMPIJob(input: $input) { ...PreviewFields }
}
"""
    + PREVIEW_FIELDS
    + USER_ERROR_FIELDS
)

_CREATE_PAYLOAD = """
    dryRun
    job { ...JobSummary }
    preview { ...PreviewFields }
    errors { ...UserErrorFields }
"""

CREATE_JOB = (
    """
mutation CreateJob($input: CreateMPIJobInput!, $dryRun: Boolean) {
  createMPIJob(input: $input, dryRun: $dryRun) {"""
    + _CREATE_PAYLOAD
    + """  }
}
"""
    + JOB_SUMMARY
    + PREVIEW_FIELDS
    + USER_ERROR_FIELDS
)

CREATE_JOB_FROM_MANIFEST = (
    """
mutation CreateJobFromManifest($manifest: String!, $namespace: String, $dryRun: Boolean) {
  createMPIJobFromManifest(manifest: $manifest, namespace: $namespace, dryRun: $dryRun) {"""
    + _CREATE_PAYLOAD
    + """  }
}
"""
    + JOB_SUMMARY
    + PREVIEW_FIELDS
    + USER_ERROR_FIELDS
)

DELETE_JOB = (
    """
mutation DeleteJob($namespace: String!, $name: String!) {
  deleteMPIJob(namespace: $namespace, name: $name) { deletedId errors { ...UserErrorFields } }
}
"""
    + USER_ERROR_FIELDS
)

SUSPEND_JOB = (
    """
mutation SuspendJob($namespace: String!, $name: String!) {
  suspendMPIJob(namespace: $namespace, name: $name) { job { ...JobSummary } errors { ...UserErrorFields } }
}
"""
    + JOB_SUMMARY
    + USER_ERROR_FIELDS
)

RESUME_JOB = (
    """
mutation ResumeJob($namespace: String!, $name: String!) {
  resumeMPIJob(namespace: $namespace, name: $name) { job { ...JobSummary } errors { ...UserErrorFields } }
}
"""
    + JOB_SUMMARY
    + USER_ERROR_FIELDS
)

NAMESPACE_QUOTAS = """
query NamespaceQuotas($namespace: String!) {
  namespace(name: $namespace) {
    name
    resourceQuotas { name resources { name hard used remaining usedFraction } }
  }
}
"""

ALL_QUOTAS = """
query AllQuotas {
  namespaces(first: 1000) {
    nodes { name resourceQuotas { name resources { name hard used remaining usedFraction } } }
  }
}
"""

JOB_LOGS = """
subscription JobLogs(
  $namespace: String!, $name: String!, $role: ReplicaType, $ranks: [Int!], $container: String,
  $tailLines: Int, $sinceSeconds: Int, $timestamps: Boolean, $previous: Boolean, $follow: Boolean
) {
  jobLogs(
    namespace: $namespace, name: $name, role: $role, ranks: $ranks, container: $container,
    tailLines: $tailLines, sinceSeconds: $sinceSeconds, timestamps: $timestamps, previous: $previous, follow: $follow
  ) {
    lines { pod role rank container timestamp text seq }
  }
}
"""

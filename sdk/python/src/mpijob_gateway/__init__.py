"""Python client of the MPIJob gateway (GraphQL over HTTP and graphql-ws).

    from mpijob_gateway import Client

    with Client("http://127.0.0.1:4000/graphql", token) as client:
        job = client.create_job_from_manifest(open("pi.yaml").read())
        done = client.wait_for_completion(job.namespace, job.name, timeout=600)
"""

from .client import Client
from .errors import (
    BAD_USER_INPUT,
    FORBIDDEN,
    NETWORK_ERROR,
    NOT_FOUND,
    QUOTA_EXCEEDED,
    TIMEOUT,
    UNAUTHENTICATED,
    FieldProblem,
    GatewayError,
    QuotaExceededError,
    QuotaShortfall,
    ValidationError,
    WaitTimeoutError,
)
from .models import (
    Condition,
    Diagnosis,
    Event,
    Failure,
    Job,
    JobDetail,
    LogLine,
    Pod,
    Preview,
    Quota,
    QuotaCheck,
    QuotaResource,
    ReplicaCounts,
)

__all__ = [
    "BAD_USER_INPUT",
    "FORBIDDEN",
    "NETWORK_ERROR",
    "NOT_FOUND",
    "QUOTA_EXCEEDED",
    "TIMEOUT",
    "UNAUTHENTICATED",
    "Client",
    "Condition",
    "Diagnosis",
    "Event",
    "Failure",
    "FieldProblem",
    "GatewayError",
    "Job",
    "JobDetail",
    "LogLine",
    "Pod",
    "Preview",
    "Quota",
    "QuotaCheck",
    "QuotaExceededError",
    "QuotaResource",
    "QuotaShortfall",
    "ReplicaCounts",
    "ValidationError",
    "WaitTimeoutError",
]

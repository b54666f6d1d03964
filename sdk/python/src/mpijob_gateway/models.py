"""Typed results: frozen dataclasses built from the gateway's answers (snake_case fields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TERMINAL_PHASES = frozenset({"SUCCEEDED", "FAILED"})
"""Phases after which a job does not change any more."""


@dataclass(frozen=True)
class ReplicaCounts:
    replicas: int
    active: int
    succeeded: int
    failed: int


@dataclass(frozen=True)
class Job:
    """An MPIJob: spec in brief and status. ``phase`` is PENDING, CREATED, RUNNING, SUSPENDED,
    SUCCEEDED, FAILED or RESTARTING."""

    namespace: str
    name: str
    uid: str
    phase: str
    queue: str | None
    created_at: str | None
    start_time: str | None
    completion_time: str | None
    duration_seconds: float | None
    image: str | None
    command: tuple[str, ...]
    slots_per_worker: int
    pod_count: int
    suspended: bool
    launcher: ReplicaCounts
    workers: ReplicaCounts
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Whether the job has SUCCEEDED or FAILED."""
        return self.phase in TERMINAL_PHASES

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Job:
        return cls(**_job_fields(data))


@dataclass(frozen=True)
class ContainerState:
    name: str
    state: str
    reason: str | None
    exit_code: int | None


@dataclass(frozen=True)
class Pod:
    """A launcher or worker pod; ``role`` is ``launcher`` or ``worker``, ``rank`` the worker index."""

    name: str
    role: str | None
    rank: int | None
    phase: str
    reason: str | None
    ready: bool
    restarts: int
    node: str | None
    containers: tuple[ContainerState, ...]

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Pod:
        role = data.get("role")
        return cls(
            name=data["name"],
            role=role.lower() if isinstance(role, str) else None,
            rank=data.get("rank"),
            phase=data["phase"],
            reason=data.get("reason"),
            ready=bool(data.get("ready")),
            restarts=int(data.get("restarts") or 0),
            node=data.get("nodeName"),
            containers=tuple(
                ContainerState(c["name"], c["state"], c.get("reason"), c.get("exitCode")) for c in data.get("containers") or []
            ),
        )


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str | None
    message: str | None
    last_transition_time: str | None


@dataclass(frozen=True)
class Event:
    type: str
    reason: str | None
    message: str | None
    count: int
    last_seen: str | None
    object: str


@dataclass(frozen=True)
class Failure:
    """The first pod of a failed job to terminate with an error."""

    pod: str
    role: str | None
    rank: int | None
    container: str | None
    reason: str | None
    exit_code: int | None
    message: str | None


@dataclass(frozen=True)
class Diagnosis:
    """Why the job is not running, or why it failed: ``kind`` (FAILED, QUOTA_EXCEEDED,
    PODS_PENDING, ...) and one ``summary`` sentence."""

    kind: str
    summary: str
    details: tuple[str, ...]
    failure: Failure | None


@dataclass(frozen=True)
class JobDetail(Job):
    """A job with its conditions, pods (launcher first, then workers by rank), events (newest
    first) and diagnosis."""

    conditions: tuple[Condition, ...] = ()
    pods: tuple[Pod, ...] = ()
    events: tuple[Event, ...] = ()
    diagnosis: Diagnosis | None = None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> JobDetail:
        workers = sorted(
            (Pod.from_graphql(p) for p in (data.get("workers") or {}).get("nodes", [])),
            key=lambda p: p.rank if p.rank is not None else 1 << 30,
        )
        launcher = data.get("launcher")
        pods = ([Pod.from_graphql(launcher)] if launcher else []) + workers
        d = data.get("diagnosis") or {}
        f = d.get("failure")
        failure = (
            Failure(
                pod=f["podName"],
                role=f["role"].lower() if isinstance(f.get("role"), str) else None,
                rank=f.get("rank"),
                container=f.get("container"),
                reason=f.get("reason"),
                exit_code=f.get("exitCode"),
                message=f.get("message"),
            )
            if f
            else None
        )
        return cls(
            **_job_fields(data),
            conditions=tuple(
                Condition(c["type"], c["status"], c.get("reason"), c.get("message"), c.get("lastTransitionTime"))
                for c in data["status"].get("conditions", [])
            ),
            pods=tuple(pods),
            events=tuple(
                Event(
                    type=e["type"],
                    reason=e.get("reason"),
                    message=e.get("message"),
                    count=int(e.get("count") or 0),
                    last_seen=e.get("lastSeen"),
                    object="/".join(x for x in ((e["involvedObject"].get("kind") or "").lower(), e["involvedObject"].get("name") or "") if x),
                )
                for e in (data.get("events") or {}).get("nodes", [])
            ),
            diagnosis=Diagnosis(d.get("kind", ""), d.get("summary", ""), tuple(d.get("details") or ()), failure) if d else None,
        )


@dataclass(frozen=True)
class QuotaCheck:
    quota: str
    resource: str
    requested: str
    used: str
    hard: str
    after: str
    exceeded: bool


@dataclass(frozen=True)
class Preview:
    """What a job would request against its namespace's quotas, before it is submitted."""

    namespace: str
    pods: int
    fits: bool
    checks: tuple[QuotaCheck, ...]
    errors: tuple[str, ...]

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Preview:
        return cls(
            namespace=data["namespace"],
            pods=int(data["pods"]),
            fits=bool(data["fits"]),
            checks=tuple(QuotaCheck(**{k: c[k] for k in ("quota", "resource", "requested", "used", "hard", "after", "exceeded")}) for c in data["checks"]),
            errors=tuple(e["message"] for e in data.get("errors") or []),
        )


@dataclass(frozen=True)
class QuotaResource:
    name: str
    hard: str
    used: str
    remaining: str
    used_fraction: float


@dataclass(frozen=True)
class Quota:
    namespace: str
    name: str
    resources: tuple[QuotaResource, ...]


@dataclass(frozen=True)
class LogLine:
    """One line of a job's output: which pod, role (``launcher``/``worker``) and MPI rank wrote it."""

    pod: str
    role: str | None
    rank: int | None
    container: str | None
    timestamp: str | None
    text: str
    seq: int | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> LogLine:
        role = data.get("role")
        return cls(
            pod=data["pod"],
            role=role.lower() if isinstance(role, str) else None,
            rank=data.get("rank"),
            container=data.get("container"),
            timestamp=data.get("timestamp"),
            text=data.get("text", ""),
            seq=data.get("seq"),
        )


def _counts(data: Mapping[str, Any], kind: str, replicas: int) -> ReplicaCounts:
    status: Mapping[str, Any] = next((s for s in data["status"].get("replicaStatuses", []) if s["type"] == kind), {})
    return ReplicaCounts(replicas, int(status.get("active", 0)), int(status.get("succeeded", 0)), int(status.get("failed", 0)))


def _job_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    spec = data["spec"]
    status = data["status"]
    launcher = spec.get("launcher") or {}
    worker = spec.get("worker") or {}
    return {
        "namespace": data["namespace"],
        "name": data["name"],
        "uid": data.get("uid", ""),
        "phase": data["phase"],
        "queue": data.get("queue"),
        "created_at": data.get("createdAt"),
        "start_time": status.get("startTime"),
        "completion_time": status.get("completionTime"),
        "duration_seconds": status.get("durationSeconds"),
        "image": launcher.get("image") or worker.get("image"),
        "command": tuple(launcher.get("command") or ()) + tuple(launcher.get("args") or ()),
        "slots_per_worker": int(spec.get("slotsPerWorker") or 1),
        "pod_count": int(spec.get("podCount") or 0),
        "suspended": bool((spec.get("runPolicy") or {}).get("suspend")),
        "launcher": _counts(data, "LAUNCHER", 1 if spec.get("launcher") else 0),
        "workers": _counts(data, "WORKER", int(worker.get("replicas") or 0)),
        "labels": {label["key"]: label["value"] for label in data.get("labels") or []},
    }

"""The client: one gateway, one token. Queries and mutations go over HTTP (httpx), log streams
over graphql-ws. Every failure is a GatewayError carrying the gateway's error code."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Self

import httpx

from . import graphql_ws, operations
from .errors import (
    BAD_RESPONSE,
    NETWORK_ERROR,
    NOT_FOUND,
    GatewayError,
    QuotaExceededError,
    WaitTimeoutError,
    error_from_graphql,
    error_from_user_errors,
)
from .models import Job, JobDetail, LogLine, Preview, Quota, QuotaResource

ENV_SERVER = "MPIJOB_SERVER"
ENV_TOKEN = "MPIJOB_TOKEN"

DEFAULT_TIMEOUT_SECONDS = 30.0
"""Per HTTP request."""
DEFAULT_POLL_INTERVAL_SECONDS = 2.0
"""Between two status reads in ``wait_for_completion``."""
MAX_PAGE_SIZE = 1000
"""The gateway's page size limit for ``mpiJobs``."""

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"


def _resources(cpu: str | None, memory: str | None, gpu: int | None) -> dict[str, Any] | None:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory), ("gpu", gpu)) if v is not None}
    if not requests:
        return None
    resources: dict[str, Any] = {"requests": requests}
    if gpu is not None:
        # Extended resources cannot be overcommitted: Kubernetes wants them in limits too.
        resources["limits"] = {"gpu": gpu}
    return resources


def _pairs(mapping: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    return [{"key": k, "value": v} for k, v in mapping.items()] if mapping else None


class Client:
    """A client of one MPIJob gateway.

    ``server`` is the GraphQL endpoint (``http://127.0.0.1:4000/graphql``), ``token`` the bearer
    token (none for a gateway without authentication). Use it as a context manager, or call
    ``close()``, to release its HTTP connections.
    """

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.server = server
        self.token = token or None
        headers = {"accept": _ACCEPT, "user-agent": "mpijob-gateway-python/0.1.0"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        self._http = http_client or httpx.Client(timeout=timeout)
        self._headers = headers

    @classmethod
    def from_env(cls, **kwargs: Any) -> Client:
        """A client for ``$MPIJOB_SERVER`` with ``$MPIJOB_TOKEN``, as the ``mpijob`` CLI reads them."""
        server = os.environ.get(ENV_SERVER)
        if not server:
            raise GatewayError(NETWORK_ERROR, f"{ENV_SERVER} is not set: give the gateway's GraphQL endpoint")
        return cls(server, os.environ.get(ENV_TOKEN), **kwargs)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- transport

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Runs any GraphQL query or mutation; returns ``data``, raises GatewayError on ``errors``."""
        try:
            response = self._http.post(self.server, json={"query": query, "variables": dict(variables or {})}, headers=self._headers)
        except httpx.TimeoutException as error:
            raise GatewayError(NETWORK_ERROR, f"no answer from {self.server} in time: {error}") from error
        except httpx.HTTPError as error:
            raise GatewayError(NETWORK_ERROR, f"cannot reach the gateway at {self.server}: {error}") from error
        try:
            body = response.json()
        except ValueError as error:
            kind = response.headers.get("content-type", "no content type")
            raise GatewayError(
                BAD_RESPONSE,
                f"{self.server} answered HTTP {response.status_code} ({kind}), not a GraphQL response",
                http_status=response.status_code,
            ) from error
        if not isinstance(body, dict):
            raise GatewayError(BAD_RESPONSE, f"{self.server} answered JSON that is not a GraphQL response", http_status=response.status_code)
        if body.get("errors"):
            raise error_from_graphql(body["errors"], response.status_code)
        data = body.get("data")
        if not isinstance(data, dict):
            raise GatewayError(BAD_RESPONSE, f"{self.server} answered with neither data nor errors", http_status=response.status_code)
        return data

    def subscribe(self, query: str, variables: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Runs any GraphQL subscription over graphql-ws; yields each result's ``data``."""
        return graphql_ws.subscribe(self.server, self.token, query, variables or {})

    # ---- jobs

    def job_input(
        self,
        name: str,
        namespace: str,
        image: str,
        *,
        workers: int = 1,
        command: Sequence[str] | None = None,
        args: Sequence[str] | None = None,
        slots_per_worker: int | None = None,
        cpu: str | None = None,
        memory: str | None = None,
        gpu: int | None = None,
        launcher_cpu: str | None = None,
        launcher_memory: str | None = None,
        queue: str | None = None,
        env: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``CreateMPIJobInput`` these arguments describe. ``cpu``/``memory``/``gpu`` are
        each worker's requests; the launcher gets ``launcher_cpu``/``launcher_memory``, else the
        workers' CPU and memory. ``extra`` adds any other input field (``runPolicy``, ...)."""
        fields: dict[str, Any] = {
            "name": name,
            "namespace": namespace,
            "image": image,
            "workers": workers,
            "command": list(command) if command else None,
            "args": list(args) if args else None,
            "slotsPerWorker": slots_per_worker,
            "workerResources": _resources(cpu, memory, gpu),
            "launcherResources": _resources(launcher_cpu or cpu, launcher_memory or memory, None),
            "queue": queue,
            "env": [{"name": k, "value": v} for k, v in env.items()] if env else None,
            "labels": _pairs(labels),
            "annotations": _pairs(annotations),
        }
        return {**{k: v for k, v in fields.items() if v is not None}, **dict(extra or {})}

    def create_job(self, name: str, namespace: str, image: str, *, dry_run: bool = False, **options: Any) -> Job:
        """Creates an MPIJob from typed arguments (see ``job_input``). Raises ValidationError or
        QuotaExceededError when the gateway refuses it; nothing is created then."""
        data = self.execute(operations.CREATE_JOB, {"input": self.job_input(name, namespace, image, **options), "dryRun": dry_run})
        return self._created(data["createMPIJob"])

    def create_job_from_manifest(self, manifest: str | Mapping[str, Any], *, namespace: str | None = None, dry_run: bool = False) -> Job:
        """Creates an MPIJob from a ``kubeflow.org/v2beta1`` manifest: YAML or JSON text, or a dict."""
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        data = self.execute(operations.CREATE_JOB_FROM_MANIFEST, {"manifest": text, "namespace": namespace, "dryRun": dry_run})
        return self._created(data["createMPIJobFromManifest"])

    def _created(self, payload: Mapping[str, Any]) -> Job:
        if payload["errors"]:
            error = error_from_user_errors(payload["errors"])
            if isinstance(error, QuotaExceededError) and payload.get("preview"):
                error.preview = Preview.from_graphql(payload["preview"])
            raise error
        if not payload.get("job"):
            raise GatewayError(BAD_RESPONSE, "the gateway returned neither a job nor errors")
        return Job.from_graphql(payload["job"])

    def get_job(self, namespace: str, name: str) -> JobDetail:
        """A job with conditions, pods by rank, recent events and diagnosis. Raises NOT_FOUND."""
        job = self.execute(operations.GET_JOB, {"namespace": namespace, "name": name})["mpiJob"]
        if job is None:
            raise _not_found(namespace, name)
        return JobDetail.from_graphql(job)

    def get_job_summary(self, namespace: str, name: str) -> Job:
        """A job's spec and status without pods and events. Raises NOT_FOUND."""
        job = self.execute(operations.GET_JOB_SUMMARY, {"namespace": namespace, "name": name})["mpiJob"]
        if job is None:
            raise _not_found(namespace, name)
        return Job.from_graphql(job)

    def list_jobs(
        self,
        namespace: str | None = None,
        *,
        phases: Iterable[str] | None = None,
        label_selector: str | None = None,
        search: str | None = None,
    ) -> list[Job]:
        """Every job the caller may list (all pages), newest first; one namespace or all."""
        variables: dict[str, Any] = {
            "namespace": namespace,
            "phase": [p.upper() for p in phases] if phases else None,
            "labelSelector": label_selector,
            "search": search,
            "first": MAX_PAGE_SIZE,
            "after": None,
        }
        jobs: list[Job] = []
        while True:
            page = self.execute(operations.LIST_JOBS, variables)["mpiJobs"]
            jobs.extend(Job.from_graphql(node) for node in page["nodes"])
            if not page["pageInfo"]["hasNextPage"] or not page["pageInfo"]["endCursor"]:
                return jobs
            variables["after"] = page["pageInfo"]["endCursor"]

    def delete_job(self, namespace: str, name: str) -> None:
        """Deletes a job; its pods go with it."""
        payload = self.execute(operations.DELETE_JOB, {"namespace": namespace, "name": name})["deleteMPIJob"]
        if payload["errors"]:
            raise error_from_user_errors(payload["errors"])

    def suspend_job(self, namespace: str, name: str) -> Job:
        """Suspends a job: its pods are deleted and it waits to be resumed."""
        return self._control(operations.SUSPEND_JOB, "suspendMPIJob", namespace, name)

    def resume_job(self, namespace: str, name: str) -> Job:
        """Resumes a suspended job."""
        return self._control(operations.RESUME_JOB, "resumeMPIJob", namespace, name)

    def _control(self, query: str, field: str, namespace: str, name: str) -> Job:
        payload = self.execute(query, {"namespace": namespace, "name": name})[field]
        if payload["errors"]:
            raise error_from_user_errors(payload["errors"])
        if payload.get("job") is None:
            raise _not_found(namespace, name)
        return Job.from_graphql(payload["job"])

    def preview_job(self, name: str, namespace: str, image: str, **options: Any) -> Preview:
        """What the job would request and whether it fits its namespace's quotas; creates nothing."""
        data = self.execute(operations.PREVIEW_JOB, {"input": self.job_input(name, namespace, image, **options)})
        return Preview.from_graphql(data["previewMPIJob"])

    def quotas(self, namespace: str | None = None) -> list[Quota]:
        """ResourceQuotas with hard, used and remaining amounts: one namespace's, or all visible."""
        if namespace is not None:
            found = self.execute(operations.NAMESPACE_QUOTAS, {"namespace": namespace})["namespace"]
            if found is None:
                raise GatewayError(NOT_FOUND, f'namespaces "{namespace}" not found')
            namespaces = [found]
        else:
            namespaces = self.execute(operations.ALL_QUOTAS)["namespaces"]["nodes"]
        return [
            Quota(
                namespace=n["name"],
                name=q["name"],
                resources=tuple(QuotaResource(r["name"], r["hard"], r["used"], r["remaining"], float(r["usedFraction"])) for r in q["resources"]),
            )
            for n in namespaces
            for q in n["resourceQuotas"]
        ]

    def wait_for_completion(
        self,
        namespace: str,
        name: str,
        timeout: float | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    ) -> Job:
        """Polls the job's status until it has SUCCEEDED or FAILED and returns it (check
        ``phase``). Raises WaitTimeoutError after ``timeout`` seconds, NOT_FOUND if it is deleted."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_job_summary(namespace, name)
            if job.done:
                return job
            if deadline is not None and time.monotonic() + poll_interval > deadline:
                raise WaitTimeoutError(f"job {namespace}/{name} did not finish within {timeout} s (phase {job.phase})")
            time.sleep(poll_interval)

    def stream_logs(
        self,
        namespace: str,
        name: str,
        *,
        ranks: Iterable[int] | None = None,
        role: str | None = None,
        container: str | None = None,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
        previous: bool = False,
        follow: bool = True,
    ) -> Iterator[LogLine]:
        """The job's log lines over graphql-ws, launcher and workers merged, each with its pod,
        role and MPI rank (parsed from mpirun's rank tags). ``ranks`` keeps only the lines of those
        ranks, ``role`` only ``launcher`` or ``worker`` pods. With ``follow`` (the default) the
        generator ends once the job has finished and its logs are drained; without it, once the
        lines already written are sent. Closing the generator ends the stream."""
        variables: dict[str, Any] = {
            "namespace": namespace,
            "name": name,
            "role": role.upper() if role else None,
            "ranks": list(ranks) if ranks is not None else None,
            "container": container,
            "tailLines": tail_lines,
            "sinceSeconds": since_seconds,
            "timestamps": timestamps,
            "previous": previous,
            "follow": follow,
        }
        for data in self.subscribe(operations.JOB_LOGS, variables):
            for line in data["jobLogs"]["lines"]:
                yield LogLine.from_graphql(line)


def _not_found(namespace: str, name: str) -> GatewayError:
    return GatewayError(NOT_FOUND, f'mpijobs.kubeflow.org "{name}" not found in namespace "{namespace}"')

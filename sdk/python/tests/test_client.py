"""The client against a running gateway: the life of a job from a manifest, and the gateway's
refusals as typed exceptions with its error codes."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from conftest import Gateway
from mpijob_gateway import (
    BAD_USER_INPUT,
    NOT_FOUND,
    QUOTA_EXCEEDED,
    Client,
    GatewayError,
    JobDetail,
    QuotaExceededError,
    ValidationError,
    WaitTimeoutError,
)

NAMESPACE = "team-a"
# Job names differ per run, so the tests can run again against one long-lived gateway.
RUN = secrets.token_hex(2)


def unique(name: str) -> str:
    return f"{name}-{RUN}"


MANIFEST = """
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: {name}
  namespace: team-a
  annotations:
    sim.mpijob-gateway.dev/duration: 60s
    sim.mpijob-gateway.dev/log-interval: 5s
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
              command: [mpirun, -n, "2", /home/mpiuser/pi]
              resources:
                requests: {{cpu: 250m, memory: 256Mi}}
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: worker
              image: mpioperator/mpi-pi:openmpi
              resources:
                requests: {{cpu: 500m, memory: 512Mi}}
"""


def test_a_job_from_a_manifest_runs_to_success_and_is_deleted(client: Client) -> None:
    job = client.create_job_from_manifest(MANIFEST.format(name=unique("py-pi")))
    assert (job.namespace, job.name, job.pod_count) == (NAMESPACE, unique("py-pi"), 3)
    assert job.phase in {"PENDING", "CREATED"}

    done = client.wait_for_completion(NAMESPACE, unique("py-pi"), timeout=120, poll_interval=0.2)
    assert done.phase == "SUCCEEDED"
    assert done.done

    detail = client.get_job(NAMESPACE, unique("py-pi"))
    assert isinstance(detail, JobDetail)
    assert [(p.role, p.rank) for p in detail.pods] == [("launcher", None), ("worker", 0), ("worker", 1)]
    assert detail.diagnosis is not None and detail.diagnosis.kind == "SUCCEEDED"
    assert any(c.type == "Succeeded" and c.status == "TRUE" for c in detail.conditions)
    assert unique("py-pi") in [j.name for j in client.list_jobs(NAMESPACE, phases=["succeeded"])]

    lines = list(client.stream_logs(NAMESPACE, unique("py-pi"), follow=False))
    assert {line.rank for line in lines if line.rank is not None} == {0, 1}
    rank_1 = list(client.stream_logs(NAMESPACE, unique("py-pi"), ranks=[1], follow=False))
    assert rank_1 and all(line.rank == 1 and line.role == "launcher" for line in rank_1)
    assert [line.text for line in rank_1] == [line.text for line in lines if line.rank == 1]

    client.delete_job(NAMESPACE, unique("py-pi"))
    with pytest.raises(GatewayError) as missing:
        client.get_job(NAMESPACE, unique("py-pi"))
    assert missing.value.code == NOT_FOUND


def test_typed_arguments_create_a_job_and_a_dry_run_creates_nothing(client: Client) -> None:
    options: dict[str, Any] = {"workers": 2, "cpu": "500m", "memory": "512Mi", "command": ["mpirun", "-n", "2", "/home/mpiuser/pi"]}
    planned = client.create_job(unique("py-dry"), NAMESPACE, "mpioperator/mpi-pi:openmpi", dry_run=True, **options)
    assert planned.name == unique("py-dry")
    assert unique("py-dry") not in [j.name for j in client.list_jobs(NAMESPACE)]

    preview = client.preview_job(unique("py-dry"), NAMESPACE, "mpioperator/mpi-pi:openmpi", **options)
    assert preview.fits and preview.pods == 3
    cpu = next(c for c in preview.checks if c.resource == "requests.cpu")
    assert cpu.requested == "1500m"


def test_a_job_over_quota_is_refused_with_the_shortfall(client: Client) -> None:
    with pytest.raises(QuotaExceededError) as refused:
        client.create_job(unique("py-huge"), NAMESPACE, "mpioperator/mpi-pi:openmpi", workers=8, cpu="8", memory="1Gi")
    error = refused.value
    assert error.code == QUOTA_EXCEEDED
    assert "exceeded quota: team-a-quota" in str(error)
    assert [s.resource for s in error.shortfall] == ["requests.cpu"]
    assert error.preview is not None and not error.preview.fits
    assert unique("py-huge") not in [j.name for j in client.list_jobs(NAMESPACE)]


def test_an_invalid_job_is_refused_with_the_fields_to_fix(client: Client) -> None:
    with pytest.raises(ValidationError) as refused:
        client.create_job("Not_A_Name", NAMESPACE, "mpioperator/mpi-pi:openmpi", workers=1, cpu="1", memory="1Gi")
    error = refused.value
    assert error.code == BAD_USER_INPUT
    assert [f.field for f in error.fields] == ["metadata.name"]
    assert "DNS-1035" in error.fields[0].message


def test_waiting_gives_up_with_a_timeout_error(client: Client) -> None:
    client.create_job_from_manifest(MANIFEST.format(name=unique("py-slow")).replace("duration: 60s", "duration: 1h"))
    with pytest.raises(WaitTimeoutError) as late:
        client.wait_for_completion(NAMESPACE, unique("py-slow"), timeout=0.5, poll_interval=0.1)
    assert late.value.code == "TIMEOUT"
    assert isinstance(late.value, TimeoutError)
    client.delete_job(NAMESPACE, unique("py-slow"))


def test_an_unreachable_gateway_is_a_network_error() -> None:
    with Client("http://127.0.0.1:9/graphql") as offline, pytest.raises(GatewayError) as failed:
        offline.list_jobs()
    assert failed.value.code == "NETWORK_ERROR"
    assert "cannot reach the gateway" in str(failed.value)


def test_logs_of_a_running_job_stream_until_it_finishes(client: Client) -> None:
    client.create_job_from_manifest(MANIFEST.format(name=unique("py-live")).replace("duration: 60s", "duration: 120s"))
    lines = list(client.stream_logs(NAMESPACE, unique("py-live"), role="launcher"))
    assert lines and all(line.role == "launcher" for line in lines)
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
    assert client.get_job_summary(NAMESPACE, unique("py-live")).phase == "SUCCEEDED"


def test_stopping_early_closes_the_stream(client: Client) -> None:
    client.create_job_from_manifest(MANIFEST.format(name=unique("py-early")).replace("duration: 60s", "duration: 10m"))
    stream = client.stream_logs(NAMESPACE, unique("py-early"))
    first = next(stream)
    assert first.pod.startswith("py-early-")
    stream.close()
    client.delete_job(NAMESPACE, unique("py-early"))


def test_a_bad_token_is_refused_with_unauthenticated(gateway: Gateway) -> None:
    assert gateway.token is not None, "the embedded cluster's gateway authenticates with its tokens.csv"
    with Client(gateway.url, "not-a-token") as stranger, pytest.raises(GatewayError) as refused:
        stranger.list_jobs()
    assert refused.value.code == "UNAUTHENTICATED"

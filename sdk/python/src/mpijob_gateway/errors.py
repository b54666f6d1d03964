"""Errors of the client. Each carries a ``code``: the gateway's ``extensions.code`` (or a
mutation's user-error code), or a client-side code when no answer came back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Preview

# Codes the gateway sends.
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
CONFLICT = "CONFLICT"
KUBERNETES_UNAVAILABLE = "KUBERNETES_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

# Codes for failures seen on the client side.
NETWORK_ERROR = "NETWORK_ERROR"
"""The gateway could not be reached, or the connection broke."""
BAD_RESPONSE = "BAD_RESPONSE"
"""The answer was not a GraphQL response."""
TIMEOUT = "TIMEOUT"
"""A wait took longer than allowed."""


@dataclass(frozen=True)
class FieldProblem:
    """An input field to fix: ``path`` in the GraphQL arguments, ``field`` in the Kubernetes object."""

    message: str
    path: tuple[str, ...]
    field: str | None


@dataclass(frozen=True)
class QuotaShortfall:
    """A resource the job needs more of than the quota has left (``shortfall`` = used + requested - hard)."""

    quota: str
    resource: str
    requested: str
    used: str
    hard: str
    shortfall: str


class GatewayError(Exception):
    """A failure, with the gateway's error code (``NOT_FOUND``, ``FORBIDDEN``, ...) or a client-side one."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


class ValidationError(GatewayError):
    """The gateway refused the input (``BAD_USER_INPUT``); ``fields`` says which fields and why."""

    def __init__(self, message: str, fields: Iterable[FieldProblem], **kwargs: Any) -> None:
        super().__init__(BAD_USER_INPUT, message, **kwargs)
        self.fields = list(fields)


class QuotaExceededError(GatewayError):
    """The job would exceed a ResourceQuota (``QUOTA_EXCEEDED``); nothing was created."""

    def __init__(self, message: str, shortfall: Iterable[QuotaShortfall], **kwargs: Any) -> None:
        super().__init__(QUOTA_EXCEEDED, message, **kwargs)
        self.shortfall = list(shortfall)
        self.preview: Preview | None = None


class WaitTimeoutError(GatewayError, TimeoutError):
    """``wait_for_completion`` gave up before the job finished."""

    def __init__(self, message: str) -> None:
        super().__init__(TIMEOUT, message)


def with_field(field: str | None, message: str) -> str:
    """``field: message``, unless the message names its field already (Kubernetes' messages do)."""
    return f"{field}: {message}" if field and not message.startswith(field) else message


def _join(messages: Iterable[str]) -> str:
    unique = list(dict.fromkeys(m for m in messages if m))
    return "; ".join(unique) if unique else "the gateway refused the request"


def _field_problems(value: Any) -> list[FieldProblem]:
    if not isinstance(value, list):
        return []
    return [
        FieldProblem(
            message=str(entry.get("message", "")),
            path=tuple(p for p in entry.get("path", []) if isinstance(p, str)),
            field=entry.get("field") if isinstance(entry.get("field"), str) else None,
        )
        for entry in value
        if isinstance(entry, dict)
    ]


def _shortfalls(value: Any) -> list[QuotaShortfall]:
    if not isinstance(value, list):
        return []
    keys = ("quota", "resource", "requested", "used", "hard", "shortfall")
    return [QuotaShortfall(**{k: str(entry.get(k, "")) for k in keys}) for entry in value if isinstance(entry, dict)]


def _code(error: Mapping[str, Any]) -> str:
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else INTERNAL_SERVER_ERROR


def error_from_graphql(errors: Sequence[Mapping[str, Any]], http_status: int | None = None) -> GatewayError:
    """The error for a response with ``errors``: the first error's code decides the class."""
    code = _code(errors[0]) if errors else INTERNAL_SERVER_ERROR
    same = [e for e in errors if _code(e) == code]
    message = _join(str(e.get("message", "")) for e in same)
    if code == BAD_USER_INPUT:
        fields = [p for e in same for p in _field_problems((e.get("extensions") or {}).get("fieldErrors"))]
        return ValidationError(message, fields, errors=errors, http_status=http_status)
    if code == QUOTA_EXCEEDED:
        shortfall = [s for e in same for s in _shortfalls((e.get("extensions") or {}).get("shortfall"))]
        return QuotaExceededError(message, shortfall, errors=errors, http_status=http_status)
    return GatewayError(code, message, errors=errors, http_status=http_status)


def error_from_user_errors(user_errors: Sequence[Mapping[str, Any]]) -> GatewayError:
    """The error for a mutation payload's ``errors``: a quota refusal wins, then the first code."""
    entries = [{"message": e.get("message", ""), "extensions": {"code": e.get("code")}} for e in user_errors]
    quota = next((e for e in user_errors if e.get("code") == QUOTA_EXCEEDED), None)
    if quota is not None:
        shortfall = [s for e in user_errors for s in _shortfalls(e.get("shortfall"))]
        return QuotaExceededError(str(quota.get("message", "")), shortfall, errors=entries)
    code = str(user_errors[0].get("code")) if user_errors else BAD_USER_INPUT
    same = [e for e in user_errors if e.get("code") == code]
    fields = [
        FieldProblem(
            message=str(e.get("message", "")),
            path=tuple(e.get("path") or ()),
            field=e.get("field") if isinstance(e.get("field"), str) else None,
        )
        for e in same
    ]
    message = _join(with_field(f.field, f.message) for f in fields)
    if code == BAD_USER_INPUT:
        return ValidationError(message, fields, errors=entries)
    return GatewayError(code, message, errors=entries)

"""How gateway answers become exceptions (no gateway needed)."""

from mpijob_gateway import GatewayError, QuotaExceededError, ValidationError
from mpijob_gateway.errors import error_from_graphql, error_from_user_errors
from mpijob_gateway.graphql_ws import websocket_url


def test_graphql_errors_keep_their_code_and_details() -> None:
    error = error_from_graphql(
        [{"message": "bad", "extensions": {"code": "BAD_USER_INPUT", "fieldErrors": [{"path": ["input", "workers"], "field": "spec.x", "message": "must be >= 0"}]}}],
        400,
    )
    assert isinstance(error, ValidationError)
    assert error.http_status == 400
    assert error.fields[0].path == ("input", "workers")
    forbidden = error_from_graphql([{"message": "no", "extensions": {"code": "FORBIDDEN"}}])
    assert type(forbidden) is GatewayError and forbidden.code == "FORBIDDEN"
    assert str(forbidden) == "no [FORBIDDEN]"


def test_a_quota_refusal_wins_over_other_user_errors() -> None:
    error = error_from_user_errors(
        [
            {"__typename": "FieldError", "code": "BAD_USER_INPUT", "message": "x", "path": ["input"], "field": None},
            {"__typename": "QuotaExceededError", "code": "QUOTA_EXCEEDED", "message": "exceeded quota: q", "shortfall": [{"quota": "q", "resource": "pods", "requested": "3", "used": "39", "hard": "40", "shortfall": "2"}]},
        ]
    )
    assert isinstance(error, QuotaExceededError)
    assert error.shortfall[0].shortfall == "2"


def test_field_names_are_not_repeated_in_messages() -> None:
    error = error_from_user_errors([{"__typename": "FieldError", "code": "BAD_USER_INPUT", "message": "metadata.name: Invalid value", "path": ["input", "name"], "field": "metadata.name"}])
    assert str(error) == "metadata.name: Invalid value [BAD_USER_INPUT]"


def test_websocket_urls_follow_the_http_scheme() -> None:
    assert websocket_url("http://127.0.0.1:4000/graphql") == "ws://127.0.0.1:4000/graphql"
    assert websocket_url("https://gw.example/graphql?x=1") == "wss://gw.example/graphql?x=1"

"""A small client of the graphql-ws protocol (subprotocol ``graphql-transport-ws``) on the
``websockets`` synchronous client: connection_init carrying the bearer token in its payload,
one subscription per connection, pings answered, ``complete`` sent when the caller stops early."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from .errors import FORBIDDEN, INTERNAL_SERVER_ERROR, NETWORK_ERROR, UNAUTHENTICATED, GatewayError, error_from_graphql

SUBPROTOCOL = Subprotocol("graphql-transport-ws")

# Message types of the protocol.
CONNECTION_INIT = "connection_init"
CONNECTION_ACK = "connection_ack"
PING = "ping"
PONG = "pong"
SUBSCRIBE = "subscribe"
NEXT = "next"
ERROR = "error"
COMPLETE = "complete"

# Close codes the client explains.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_INTERNAL = 4500

SUBSCRIPTION_ID = "1"


def websocket_url(server: str) -> str:
    """``http(s)://host/graphql`` to ``ws(s)://host/graphql``."""
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def _closed_error(error: ConnectionClosed, url: str) -> GatewayError:
    frame = error.rcvd
    code = frame.code if frame is not None else None
    reason = f": {frame.reason}" if frame is not None and frame.reason else ""
    if code == CLOSE_FORBIDDEN:
        return GatewayError(FORBIDDEN, f"the gateway refused the WebSocket connection ({code}{reason})")
    if code == CLOSE_UNAUTHORIZED:
        return GatewayError(UNAUTHENTICATED, f"the gateway refused the WebSocket connection ({code}{reason})")
    if code == CLOSE_INTERNAL:
        return GatewayError(INTERNAL_SERVER_ERROR, f"the gateway closed the WebSocket connection ({code}{reason})")
    return GatewayError(NETWORK_ERROR, f"the WebSocket connection to {url} closed ({code if code is not None else 'no close frame'}{reason})")


def subscribe(
    server: str,
    token: str | None,
    query: str,
    variables: Mapping[str, Any],
    *,
    open_timeout: float = 10.0,
) -> Iterator[dict[str, Any]]:
    """Yields the ``data`` of each result of one subscription until the gateway completes it.
    Raises GatewayError when the stream fails. Closing the generator unsubscribes."""
    url = websocket_url(server)
    try:
        opened = connect(url, subprotocols=[SUBPROTOCOL], open_timeout=open_timeout, max_size=None)
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise GatewayError(NETWORK_ERROR, f"cannot open a WebSocket to {url}: {error}") from error
    with opened as socket:
        completed = False
        try:
            init: dict[str, Any] = {"type": CONNECTION_INIT, "payload": {"authorization": f"Bearer {token}"} if token else {}}
            socket.send(json.dumps(init))
            while True:
                message = json.loads(socket.recv(timeout=open_timeout))
                if message.get("type") == CONNECTION_ACK:
                    break
                if message.get("type") == PING:
                    socket.send(json.dumps({"type": PONG}))
            socket.send(json.dumps({"id": SUBSCRIPTION_ID, "type": SUBSCRIBE, "payload": {"query": query, "variables": dict(variables)}}))
            for raw in socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == PING:
                    socket.send(json.dumps({"type": PONG}))
                elif kind == NEXT and message.get("id") == SUBSCRIPTION_ID:
                    payload = message.get("payload") or {}
                    if payload.get("errors"):
                        completed = True
                        raise error_from_graphql(payload["errors"])
                    if payload.get("data") is not None:
                        yield payload["data"]
                elif kind == ERROR and message.get("id") == SUBSCRIPTION_ID:
                    completed = True
                    raise error_from_graphql(message.get("payload") or [])
                elif kind == COMPLETE and message.get("id") == SUBSCRIPTION_ID:
                    completed = True
                    return
            completed = True
            raise GatewayError(NETWORK_ERROR, f"the WebSocket connection to {url} closed before the subscription completed")
        except ConnectionClosed as error:
            completed = True
            raise _closed_error(error, url) from error
        except TimeoutError as error:
            raise GatewayError(NETWORK_ERROR, f"no connection_ack from {url} within {open_timeout} s") from error
        finally:
            if not completed:
                # The caller stopped early: unsubscribe before the socket closes.
                try:
                    socket.send(json.dumps({"id": SUBSCRIPTION_ID, "type": COMPLETE}))
                except ConnectionClosed:
                    pass

"""Lambda events as AWS sends them, for lambda_smoke.py: API Gateway HTTP API 2.0 (with the JWT authorizer's
claims), SQS batches and EventBridge schedules (Tests/Fixtures), IoT topic rule deliveries and IoT custom
authorizer requests."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any


DRIVER = {"sub": "smoke-driver", "iss": "https://issuer.example.com", "aud": "evcsm", "exp": "1893456000"}
OPERATOR = {**DRIVER, "sub": "smoke-operator", "scope": "evcsm/operator"}


def authorizer(claims: dict[str, str]) -> dict[str, Any]:
    """`requestContext.authorizer` of the HTTP API JWT authorizer: every claim a string, `scope` split."""
    jwt: dict[str, Any] = {"claims": claims}
    if "scope" in claims:
        jwt["scopes"] = claims["scope"].split()
    return {"jwt": jwt}


def http_event(method: str, path: str, query: dict[str, str] | None = None, body: str | None = None,
               path_parameters: dict[str, str] | None = None, route: str | None = None,
               claims: dict[str, str] | None = DRIVER) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event, as API Gateway sends it (with `claims`, if any)."""
    now = time.time()
    query = query or {}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{key}={value}" for key, value in query.items()),
        "headers": {"accept": "application/json", "content-type": "application/json", "host": "api.example.com",
                    "user-agent": "lambda-smoke"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "smoke", "domainName": "api.example.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "lambda-smoke"},
            "requestId": str(uuid.uuid4()), "routeKey": f"{method} {route or path}", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = authorizer(claims)
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
    return event


ROOT = Path(__file__).resolve().parents[2]


def sqs_event(fixture: str) -> dict[str, Any]:
    """An SQS event source mapping's batch, as AWS sends it (Tests/Fixtures/sqs)."""
    return json.loads((ROOT / "Tests" / "Fixtures" / "sqs" / fixture).read_text())


def scheduled_event() -> dict[str, Any]:
    """An EventBridge scheduled event, as a Schedule rule sends it (Tests/Fixtures/events)."""
    return json.loads((ROOT / "Tests" / "Fixtures" / "events" / "eventbridge-scheduled.json").read_text())


def topic_event(topic: str, payload: bytes) -> dict[str, Any]:
    """What `SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM ...` delivers."""
    return {"data": base64.b64encode(payload).decode(), "topic": topic, "ts": int(time.time() * 1000)}


def authorizer_event(username: str, password: str) -> dict[str, Any]:
    """An AWS IoT custom authorizer request for an MQTT sign-in (the password base64, as AWS IoT sends it)."""
    return {"protocols": ["mqtt"], "signatureVerified": False,
            "protocolData": {"mqtt": {"username": username, "clientId": username,
                                      "password": base64.b64encode(password.encode()).decode()}},
            "connectionMetadata": {"id": str(uuid.uuid4())}}


def websocket_event(route_key: str, connection_id: str = "c0nnect10n-smoke", query: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None, body: str | None = None,
                    base64: bool = False) -> dict[str, Any]:
    """An API Gateway WebSocket API event ($connect with the upgrade's headers and query, a $default message,
    $disconnect with its close code), as the Lambda proxy integration delivers it."""
    now = int(time.time() * 1000)
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    context: dict[str, Any] = {
        "routeKey": route_key, "eventType": event_type, "connectionId": connection_id,
        "domainName": "ocpp.example.com", "stage": "ocpp", "apiId": "smoke", "requestId": str(uuid.uuid4()),
        "connectedAt": now, "requestTimeEpoch": now, "identity": {"sourceIp": "127.0.0.1", "userAgent": "smoke"},
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": base64}
    if event_type == "MESSAGE":
        context["messageId"] = "m-smoke"
        event["body"] = body or ""
    if event_type == "DISCONNECT":
        context.update(disconnectStatusCode=1000, disconnectReason="Client closed")
    if event_type == "CONNECT":
        event["headers"] = headers or {"Host": "ocpp.example.com", "Sec-WebSocket-Protocol": "ocpp1.6"}
        if query:
            event["queryStringParameters"] = query
    return event

"""The fake AWS side of lambda_smoke.py: the Lambda Runtime API, the Data API (empty store answers) and the IoT
Data Plane on one loopback port, checking every publish's SigV4 signature (service iotdata) the way AWS does."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import queue
import secrets
import string
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_to_bytes

RUNTIME_PREFIX = "/2018-06-01/runtime"
ANSWER_TIMEOUT_SECONDS = 120


def sigv4_problem(method: str, target: str, headers: Any, body: bytes, credentials: dict[str, str]) -> str | None:
    """What AWS would refuse in this request's SigV4 signature (service iotdata), or None when it is valid."""
    authorization = headers.get("Authorization") or ""
    prefix = "AWS4-HMAC-SHA256 "
    if not authorization.startswith(prefix):
        return f"not SigV4-signed: Authorization {authorization[:40]!r}"
    parts = dict(item.strip().split("=", 1) for item in authorization[len(prefix):].split(",") if "=" in item)
    key, date, region, service, terminator = (parts.get("Credential", "") + "////").split("/")[:5]
    amz_date = headers.get("X-Amz-Date") or ""
    if key != credentials["AWS_ACCESS_KEY_ID"] or (region, service, terminator) != (
            credentials["AWS_REGION"], "iotdata", "aws4_request") or date != amz_date[:8]:
        return f"wrong credential scope {parts.get('Credential')!r} for date {amz_date!r}"
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return f"malformed x-amz-date {amz_date!r}"
    if abs(time.time() - signed_at) > 15 * 60:
        return f"x-amz-date {amz_date} is more than 15 minutes away"
    signed = parts.get("SignedHeaders", "").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return f"host and x-amz-date must be signed, not {signed}"
    path, _, query = target.partition("?")
    unreserved = set(string.ascii_letters + string.digits + "-_.~")

    def encode(raw: bytes, keep: str = "") -> str:
        return "".join(chr(b) if chr(b) in unreserved or chr(b) in keep else f"%{b:02X}" for b in raw)

    canonical_uri = encode(path.encode(), keep="/")  # non-S3: the path as sent, encoded once more
    pairs = sorted((encode(unquote_to_bytes(k)), encode(unquote_to_bytes(v)))
                   for k, _, v in (item.partition("=") for item in query.split("&") if item))
    lines = [method, canonical_uri, "&".join(f"{k}={v}" for k, v in pairs)]
    lines += [f"{name}:{' '.join((headers.get(name) or '').split())}" for name in signed]
    lines += ["", ";".join(signed), hashlib.sha256(body).hexdigest()]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{date}/{region}/iotdata/aws4_request", digest])
    signing = ("AWS4" + credentials["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (date, region, "iotdata", "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("Signature", "")):
        return f"signature does not match (canonical request {chr(10).join(lines)!r})"
    return None


class FakeAWS:
    """Runtime API + Data API + IoT Data Plane on one loopback port, for one invocation."""

    def __init__(self, event: dict[str, Any], api_key: str, credentials: dict[str, str]) -> None:
        self.event = json.dumps(event).encode()
        self.api_key = api_key
        self.credentials = credentials
        self.signature_problems: list[str] = []
        self.request_id = str(uuid.uuid4())
        self.delivered = False
        self.results: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.data_api_calls: list[tuple[str, dict[str, Any] | None, bool]] = []
        self.publishes: list[str] = []
        self.stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: bytes, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                if self.path == f"{RUNTIME_PREFIX}/invocation/next":
                    if fake.delivered:
                        fake.stop.wait(ANSWER_TIMEOUT_SECONDS)  # a second /next: park it until the test ends
                        self.close_connection = True
                        return
                    fake.delivered = True
                    deadline = int(time.time() * 1000) + 30_000
                    self.reply(200, fake.event, headers={
                        "Lambda-Runtime-Aws-Request-Id": fake.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline),
                        "Lambda-Runtime-Invoked-Function-Arn":
                            "arn:aws:lambda:eu-central-1:123456789012:function:smoke",
                        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                    })
                    return
                self.reply(404, b'{"error":"not found"}')

            def do_POST(self) -> None:  # noqa: N802
                payload = self.body()
                if self.path.startswith(f"{RUNTIME_PREFIX}/"):
                    rest = self.path[len(RUNTIME_PREFIX) + 1:]
                    kinds = {f"invocation/{fake.request_id}/response": "response",
                             f"invocation/{fake.request_id}/error": "error", "init/error": "init/error"}
                    if rest not in kinds:
                        self.reply(404, b'{"errorMessage":"unknown runtime route"}')
                        return
                    self.reply(202, b'{"status":"OK"}')  # answer first: the test kills the process after put()
                    fake.results.put((kinds[rest], payload))
                    return
                if self.path.startswith("/data-api/action/"):
                    action = self.path.rsplit("/", 1)[-1]
                    key_ok = self.headers.get("apiKey") == fake.api_key or \
                        self.headers.get("Authorization") == f"Bearer {fake.api_key}"
                    try:
                        request = json.loads(payload or b"{}")
                    except json.JSONDecodeError:
                        request = None
                    fake.data_api_calls.append((action, request, key_ok))
                    if not key_ok:
                        self.reply(401, b'{"error":"invalid api key","error_code":"Unauthorized"}')
                        return
                    answers: dict[str, Any] = {
                        "findOne": {"document": None}, "find": {"documents": []}, "aggregate": {"documents": []},
                        "insertOne": {"insertedId": {"$oid": "0123456789abcdef01234567"}},
                        "insertMany": {"insertedIds": []},
                        "updateOne": {"matchedCount": 0, "modifiedCount": 0},
                        "updateMany": {"matchedCount": 0, "modifiedCount": 0},
                        "deleteOne": {"deletedCount": 0}, "deleteMany": {"deletedCount": 0},
                    }
                    if action == "bulkWrite" and isinstance(request, dict):
                        # Every operation succeeds: an insert answers its document's _id, an update one match.
                        answers["bulkWrite"] = {"results": [
                            {"insertedId": op["insertOne"]["document"].get("_id")} if "insertOne" in op
                            else {"matchedCount": 1, "modifiedCount": 1}
                            for op in request.get("operations", []) if isinstance(op, dict)]}
                    if action not in answers:
                        self.reply(404, b'{"error":"unknown action","error_code":"ActionNotFound"}')
                        return
                    content_type = "application/ejson" if "ejson" in (self.headers.get("Accept") or "") \
                        else "application/json"
                    self.reply(200, json.dumps(answers[action]).encode(), content_type)
                    return
                if self.path.startswith("/topics/"):
                    problem = sigv4_problem("POST", self.path, self.headers, payload, fake.credentials)
                    if problem:  # AWS IoT's answer to a missing or wrong signature
                        fake.signature_problems.append(f"{self.path}: {problem}")
                        self.reply(403, json.dumps({"message": problem}).encode())
                        return
                    fake.publishes.append(self.path)
                    self.reply(200, b"{}")
                    return
                self.reply(404, b'{"error":"not found"}')

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)  # a killed bootstrap drops its parked /next

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAWS":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def credential_pair() -> dict[str, str]:
    """A fresh AWS-style pair (`AKIA` + 16, 40-character secret), as evcsm-local generates per data dir."""
    key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "eu-central-1"}

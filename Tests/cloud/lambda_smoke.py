#!/usr/bin/env python3
"""Runs every packaged `bootstrap` (dist/<Function>.zip) the way Lambda does and checks it answers.

For each function: unzip the package into a fresh task root, start one local HTTP server that plays
  - the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`, /2018-06-01/runtime/...),
  - the Data API (`DATA_API_URL` = http://127.0.0.1:<port>/data-api, empty store answers), and
  - the IoT Data Plane (`IOT_DATA_ENDPOINT`, POST /topics/...),
then exec `bootstrap` with a Lambda-like environment (the template's Globals environment with parameter
defaults, no LD_LIBRARY_PATH, a generated Data API key and AWS credential pair), hand it one event and wait for
its /response. The expected answers follow the contract in DESIGN.md §1 for an empty store or bad input;
invalid requests must not write to the store. HTTP events carry the JWT authorizer's claims as API Gateway
puts them (`requestContext.authorizer.jwt`), as the functions require under AUTH_MODE=jwt; one case without
claims checks the 401 envelope. Every IoT Data Plane publish must be SigV4-signed (service `iotdata`) with
the given pair: the fake checks the signature the way AWS does (canonical request, scope, 15 minutes).

Exit status 1 on any failure. Timeouts are generous and only bound a hung process; nothing is timed for
pass/fail (the time to the first answer is printed for information).
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import hmac
import json
import secrets
import string
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

RUNTIME_PREFIX = "/2018-06-01/runtime"
ANSWER_TIMEOUT_SECONDS = 120
WRITE_ACTIONS = {"insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany"}


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


BASE = "/api/ChargingSessionAPI"
START = json.dumps({"vehicleId": "v-smoke", "chargingPointId": "cp-smoke", "maxPower": 11, "targetCharge": 80})


class Case:
    """One invocation: the event, what must come back (an HTTP status, None for a topic function's null, or a
    JSON object the answer must contain) and whether it must publish (signed) to the IoT Data Plane."""

    def __init__(self, function: str, event: dict[str, Any], expected: int | dict[str, Any] | None, why: str,
                 label: str = "", publishes: bool = False) -> None:
        self.function, self.event, self.expected, self.why = function, event, expected, why
        self.label = label or function
        self.publishes = publishes


CASES: list[Case] = [
    Case("GetStatus", http_event("GET", f"{BASE}/status", {"chargingPointId": "cp-smoke"}), 404,
         "no session for the charging point"),
    Case("GetStatus", http_event("GET", f"{BASE}/status", {"chargingPointId": "cp-smoke"}, claims=None), 401,
         "no token claims under AUTH_MODE=jwt", label="GetStatus/anon"),
    Case("StartSession", http_event("POST", f"{BASE}/start", body="{}"), 400, "missing vehicleId/..."),
    Case("StartSession", http_event("POST", f"{BASE}/start", body=START), 201,
         "a driver starts as themselves; session/updates published", label="StartSession/ok", publishes=True),
    Case("StopSession", http_event("POST", f"{BASE}/stop", body="{}"), 400, "missing sessionId"),
    Case("ListSessions", http_event("GET", f"{BASE}/sessions", claims=OPERATOR), 200, "empty history"),
    Case("GetSession", http_event("GET", f"{BASE}/sessions/s-smoke", path_parameters={"sessionId": "s-smoke"},
                                  route=f"{BASE}/sessions/{{sessionId}}"), 404, "unknown session"),
    Case("ChargingUpdates", topic_event("charging/updates", b"\x00not a status{"), None,
         "malformed: logged, dropped"),
    Case("MeterValues", sqs_event("meter-batch.json"), {"batchItemFailures": []},
         "SQS batch: unknown sessions ignored, malformed dropped"),
    Case("ExpireSessions", scheduled_event(), None, "schedule: no idle session in an empty store"),
    Case("RegisterCharger", http_event("POST", f"{BASE}/chargers", body='{"chargePointId":"cp-smoke"}'), 403,
         "a driver may not register chargers"),
    Case("RegisterCharger", http_event("POST", f"{BASE}/chargers", body="{}", claims=OPERATOR), 400,
         "missing chargePointId", label="RegisterCharger/op"),
    Case("MqttAuthorizer", authorizer_event("cp-unknown", "not-the-password"), {"isAuthenticated": False},
         "unregistered point: refused"),
]


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


def template_environment(template: Path) -> dict[str, str]:
    """Globals.Function.Environment.Variables with !Ref resolved to parameter defaults."""
    from samcli.yamlhelper import yaml_parse  # the sam venv's parser understands !Ref/!Sub short forms

    document = yaml_parse(template.read_text())
    defaults = {name: str(spec.get("Default", "")) for name, spec in document.get("Parameters", {}).items()}
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    resolved = {}
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"}:
            value = defaults[value["Ref"]]
        resolved[name] = str(value)
    return resolved


def credential_pair() -> dict[str, str]:
    """A fresh AWS-style pair (`AKIA` + 16, 40-character secret), as evcsm-local generates per data dir."""
    key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "eu-central-1"}


def invoke(case: Case, package: Path, environment: dict[str, str], work: Path) -> list[str]:
    name, label, expected, why = case.function, case.label, case.expected, case.why
    task_root = work / label.replace("/", "-")
    with zipfile.ZipFile(package) as archive:
        archive.extractall(task_root)
        for info in archive.infolist():  # ZipFile.extractall drops the mode bits
            (task_root / info.filename).chmod((info.external_attr >> 16) & 0o777 or 0o644)
    problems: list[str] = []
    api_key = environment["DATA_API_KEY"]
    credentials = credential_pair()
    with FakeAWS(case.event, api_key, credentials) as fake:
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{fake.port}",
            "_HANDLER": "bootstrap",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(task_root),
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_DEFAULT_REGION": "eu-central-1",
            **environment,
            **credentials,
            "DATA_API_URL": f"http://127.0.0.1:{fake.port}/data-api",
            "IOT_DATA_ENDPOINT": f"http://127.0.0.1:{fake.port}",
        }
        started = time.monotonic()
        log_path = work / f"{label.replace('/', '-')}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([str(task_root / "bootstrap")], cwd=task_root, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
            kind, body, elapsed_ms = "timeout", b"", 0.0
            try:
                while time.monotonic() - started < ANSWER_TIMEOUT_SECONDS:
                    try:
                        kind, body = fake.results.get(timeout=0.2)
                        elapsed_ms = (time.monotonic() - started) * 1000
                        break
                    except queue.Empty:
                        if process.poll() is not None and fake.results.empty():
                            kind = f"exit status {process.returncode} before answering"
                            break
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)
        output = log_path.read_text(errors="replace").strip()
        writes = [action for action, _, _ in fake.data_api_calls if action in WRITE_ACTIONS]
        bad_keys = [action for action, _, key_ok in fake.data_api_calls if not key_ok]

    if kind != "response":
        problems.append(f"{label}: expected an invocation response, got {kind}: {body[:300]!r}")
    else:
        try:
            answer = json.loads(body or b"null")
        except json.JSONDecodeError:
            answer = "<not JSON>"
            problems.append(f"{label}: response is not JSON: {body[:300]!r}")
        if expected is None:
            if answer is not None:
                problems.append(f"{label}: topic/scheduled function should answer null, got {body[:300]!r}")
            summary = "null"
        elif isinstance(expected, dict):
            if not isinstance(answer, dict) or any(answer.get(k) != v for k, v in expected.items()):
                problems.append(f"{label}: expected {json.dumps(expected)} ({why}), got {body[:300]!r}")
            summary = "object"
        else:
            status = answer.get("statusCode") if isinstance(answer, dict) else None
            summary = f"HTTP {status}"
            if status != expected:
                problems.append(f"{label}: expected HTTP {expected} ({why}), got {body[:400]!r}")
            elif status >= 400:
                try:
                    envelope = json.loads(answer.get("body") or "{}")
                except json.JSONDecodeError:
                    envelope = {}
                if not {"error", "message", "timestamp"} <= set(envelope):
                    problems.append(f"{label}: error body lacks {{error, message, timestamp}}: {answer.get('body')!r}")
        if isinstance(expected, int) and expected >= 400 and writes:
            problems.append(f"{label}: a refused request still wrote to the store: {writes}")
        if bad_keys:
            problems.append(f"{label}: Data API calls without the configured apiKey: {bad_keys}")
        problems += [f"{label}: IoT publish refused: {problem}" for problem in fake.signature_problems]
        if case.publishes and not fake.publishes:
            problems.append(f"{label}: expected a SigV4-signed IoT Data Plane publish, saw none")
        print(f"  {label:18s} {summary:9s} ({why}) first answer after {elapsed_ms:.0f} ms; "
              f"Data API calls {[call[0] for call in fake.data_api_calls]}; signed publishes {fake.publishes}")
    if problems and output:
        problems.append(f"{label} output:\n    " + "\n    ".join(output.splitlines()[-20:]))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("functions", nargs="*", default=sorted({case.function for case in CASES}))
    options = parser.parse_args()
    environment = template_environment(options.template)
    # The template has no default Data API key (one is required at deploy time): the smoke makes its own.
    environment["DATA_API_KEY"] = secrets.token_hex(24)
    environment.setdefault("AUTH_MODE", "jwt")
    problems: list[str] = []
    cases = [case for case in CASES if case.function in options.functions]
    with tempfile.TemporaryDirectory(prefix="lambda-smoke-") as work:
        for case in cases:
            package = options.dist / f"{case.function}.zip"
            if not package.is_file():
                problems.append(f"{case.label}: {package} is missing (run `make package`)")
                continue
            problems += invoke(case, package, environment, Path(work))
    if not cases:
        problems.append(f"no case for {options.functions}")
    if problems:
        print("lambda-smoke: FAIL")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"lambda-smoke: {len(cases)} invocations of {len(options.functions)} packaged bootstraps answered "
          "through the Runtime API")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main())

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
claims checks the 401 envelope. The WebSocket functions get API Gateway WebSocket events
(`$connect`/`$default`/`$disconnect`) and answer `{statusCode, headers?, body?}` (no REST envelope). Every IoT Data Plane publish must be SigV4-signed (service `iotdata`) with
the given pair: the fake checks the signature the way AWS does (canonical request, scope, 15 minutes).

Exit status 1 on any failure. Timeouts are generous and only bound a hung process; nothing is timed for
pass/fail (the time to the first answer is printed for information).
"""

from __future__ import annotations

import argparse
import json
import secrets
import os
import queue
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from smoke_events import (OPERATOR, authorizer_event, http_event, scheduled_event, sqs_event, topic_event,
                          websocket_event)
from smoke_fake_aws import ANSWER_TIMEOUT_SECONDS, FakeAWS, credential_pair

WRITE_ACTIONS = {"insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "bulkWrite"}


BASE = "/api/ChargingSessionAPI"
START = json.dumps({"vehicleId": "v-smoke", "chargingPointId": "cp-smoke", "maxPower": 11, "targetCharge": 80})


class Case:
    """One invocation: the event, what must come back (an HTTP status, None for a topic function's null, or a
    JSON object the answer must contain) and whether it must publish (signed) to the IoT Data Plane."""

    def __init__(self, function: str, event: dict[str, Any], expected: int | dict[str, Any] | None, why: str,
                 label: str = "", publishes: bool = False, websocket: bool = False, body_contains: str = "") -> None:
        self.function, self.event, self.expected, self.why = function, event, expected, why
        self.label = label or function
        self.publishes = publishes
        # A WebSocket route answers {statusCode, headers?, body?}: no REST error envelope.
        self.websocket = websocket
        self.body_contains = body_contains


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
    Case("OcppConnect", websocket_event("$connect"), 400, "no charge point identity in the URL", websocket=True),
    Case("OcppConnect", websocket_event("$connect", query={"chargePointId": "cp-unknown"}), 404,
         "unregistered charger: upgrade refused", label="OcppConnect/unknown", websocket=True),
    Case("OcppDisconnect", websocket_event("$disconnect"), 200, "unknown connection: nothing to do", websocket=True),
    Case("OcppMessage", websocket_event("$default", body="AAE=", base64=True), {"statusCode": 200},
         "binary frame: CALLERROR FormationViolation", websocket=True, body_contains="FormationViolation"),
    Case("PutIdTag", http_event("PUT", f"{BASE}/idtags/TAG1", body='{"userId":"u1","status":"Accepted"}',
                                path_parameters={"idTag": "TAG1"}, route=f"{BASE}/idtags/{{idTag}}", claims=None),
         401, "no token claims under AUTH_MODE=jwt"),
    Case("PutIdTag", http_event("PUT", f"{BASE}/idtags/TAG1", body='{"userId":"u1","status":"Accepted"}',
                                path_parameters={"idTag": "TAG1"}, route=f"{BASE}/idtags/{{idTag}}"),
         403, "a driver may not manage idTags", label="PutIdTag/driver"),
    Case("ListChargers", http_event("GET", f"{BASE}/chargers", claims=None), 401,
         "no token claims under AUTH_MODE=jwt"),
    Case("ListChargers", http_event("GET", f"{BASE}/chargers", claims=OPERATOR), 200, "no charger registered",
         label="ListChargers/op"),
    Case("SendChargerCommand", http_event("POST", f"{BASE}/chargers/cp-smoke/commands", body="{}",
                                          path_parameters={"chargePointId": "cp-smoke"},
                                          route=f"{BASE}/chargers/{{chargePointId}}/commands", claims=None),
         401, "no token claims under AUTH_MODE=jwt"),
    Case("SendChargerCommand", http_event("POST", f"{BASE}/chargers/cp-smoke/commands", body="{}",
                                          path_parameters={"chargePointId": "cp-smoke"},
                                          route=f"{BASE}/chargers/{{chargePointId}}/commands", claims=OPERATOR),
         400, "missing action", label="SendChargerCommand/op"),
]

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
            "OCPP_CONNECTIONS_ENDPOINT": f"http://127.0.0.1:{fake.port}",
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
            elif case.body_contains not in str(answer.get("body", "")):
                problems.append(f"{label}: expected a body with {case.body_contains!r} ({why}), got {body[:300]!r}")
            summary = "object"
        else:
            status = answer.get("statusCode") if isinstance(answer, dict) else None
            if status is None and isinstance(answer, dict) and not case.websocket:
                # HTTP API payload format 2.0: a JSON object without statusCode is a 200 application/json body.
                status = 200
            summary = f"HTTP {status}"
            if status != expected:
                problems.append(f"{label}: expected HTTP {expected} ({why}), got {body[:400]!r}")
            elif status >= 400 and not case.websocket:
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
        print(f"  {label:22s} {summary:9s} ({why}) first answer after {elapsed_ms:.0f} ms; "
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

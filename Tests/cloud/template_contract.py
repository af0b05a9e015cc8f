"""Paths and the contract (DESIGN.md §1, team conventions) that test_template.py holds template.yaml to."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("EVCSM_ROOT") or Path(__file__).resolve().parents[2])
TEMPLATE = ROOT / "template.yaml"
BUILT_TEMPLATE = ROOT / ".aws-sam" / "build" / "template.yaml"
BASE = "/api/ChargingSessionAPI"

# DESIGN.md §1 and the team conventions: the contract the template must implement.
EXPECTED_ROUTES = {
    "GetStatus": {("GET", f"{BASE}/status")},
    "StartSession": {("POST", f"{BASE}/start")},
    "StopSession": {("POST", f"{BASE}/stop")},
    "ListSessions": {("GET", f"{BASE}/sessions")},
    "GetSession": {("GET", f"{BASE}/sessions/{{sessionId}}")},
    "RegisterCharger": {("POST", f"{BASE}/chargers")},
    "PutIdTag": {("PUT", f"{BASE}/idtags/{{idTag}}")},
    "ListChargers": {("GET", f"{BASE}/chargers")},
    "SendChargerCommand": {("POST", f"{BASE}/chargers/{{chargePointId}}/commands")},
}
# function -> WebSocket API route keys (issue 14: the OCPP endpoint, stage `ocpp`; $default is two-way).
EXPECTED_WEBSOCKET_ROUTES = {"OcppConnect": {"$connect"}, "OcppDisconnect": {"$disconnect"},
                             "OcppMessage": {"$default"}}
WEBSOCKET_STAGE = "ocpp"
# Functions that call the WebSocket API's management API (execute-api:ManageConnections on the OcppApi).
CONNECTION_MANAGERS = {"OcppConnect", "OcppMessage", "StartSession", "StopSession", "SendChargerCommand",
                       "ExpireSessions"}
EXPECTED_TOPICS = {"ChargingUpdates": {"charging/updates"}, "MeterValues": {"chargers/+/meter"}}
# function -> {(queue, BatchSize, MaximumBatchingWindowInSeconds, ReportBatchItemFailures)}: the SQS event sources.
EXPECTED_QUEUES = {"MeterValues": {("MeterReadingsQueue", 100, 1, True)}}
# function -> {(rule name, expression)}: the Schedule events (rule name `<Function><Event>` as SAM names it).
EXPECTED_SCHEDULES = {"ExpireSessions": {("ExpireSessionsEvery", "rate(1 minute)")}}
# function -> the AWS::IoT::Authorizer resources that invoke it (chargers' MQTT sign-ins; no event of its own).
EXPECTED_AUTHORIZERS = {"MqttAuthorizer": {"ChargerAuthorizer"}}
MAX_RECEIVE_COUNT = 3
RUNNER_PROVIDED = {"DATA_API_URL", "DATA_API_KEY", "IOT_DATA_ENDPOINT", "OCPP_CONNECTIONS_ENDPOINT"}
RUNNER_PLACEHOLDER = "(set by evcsm-local)"  # LocalRunner/TemplateLoader.runnerProvidedPlaceholder
RULE_SQL = "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM '{}'"
# function -> the topics its iot:Publish statements allow.
PUBLISHERS = {name: {"session/updates"} for name in
              ("StartSession", "StopSession", "ChargingUpdates", "MeterValues", "ExpireSessions")}
PUBLISHERS.update({"OcppConnect": {"chargepoint/status"}, "OcppDisconnect": {"chargepoint/status"},
                   "OcppMessage": {"session/updates", "chargepoint/status"}})
REQUIRED_ENVIRONMENT = {
    "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
    "IOT_DATA_ENDPOINT", "TARIFF_PER_KWH", "TARIFF_SESSION_FEE", "TARIFF_PER_MINUTE", "TARIFF_CURRENCY",
    "DEFAULT_CHARGING_POINT", "DEFAULT_MAX_POWER", "DEFAULT_TARGET_CHARGE", "DEFAULT_BATTERY_CAPACITY",
    "DEFAULT_CURRENT_CHARGE", "LOG_LEVEL", "OCPP_CONNECTIONS_ENDPOINT", "OCPP_HEARTBEAT_INTERVAL",
    "OCPP_CALL_TIMEOUT_SECONDS", "OCPP_STOP_WAIT_SECONDS", "OCPP_START_TIMEOUT_SECONDS", "OCPP_DEFAULT_MAX_POWER",
}
DEFAULTS = {"TARIFF_PER_KWH": "0.50", "TARIFF_SESSION_FEE": "5.00", "TARIFF_PER_MINUTE": "0.00",
            "TARIFF_CURRENCY": "EUR", "DEFAULT_CHARGING_POINT": "cp-1", "DEFAULT_MAX_POWER": "11",
            "DEFAULT_TARGET_CHARGE": "80", "DEFAULT_BATTERY_CAPACITY": "55", "DEFAULT_CURRENT_CHARGE": "40",
            "LOG_LEVEL": "info", "DATA_API_DATA_SOURCE": "mongodb-atlas", "DATA_API_DATABASE": "EVChargingDB",
            "OCPP_HEARTBEAT_INTERVAL": "300", "OCPP_CALL_TIMEOUT_SECONDS": "10", "OCPP_STOP_WAIT_SECONDS": "10",
            "OCPP_START_TIMEOUT_SECONDS": "120", "OCPP_DEFAULT_MAX_POWER": "22"}

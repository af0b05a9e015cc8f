#!/usr/bin/env python3
"""template.yaml agrees with Package.swift, with AWS SAM and with the local runner.

- every function target (Package.swift, Functions/<Name>) is a template function and vice versa, with the
  routes, topics and schedules of DESIGN.md, each route/topic exactly once, each function triggered by something; a topic
  reaches its function through an `AWS::IoT::TopicRule` (Lambda action, or Sqs action to a queue the function
  reads with an SQS event); meter readings are batched (SQS, BatchSize 100, 1 s window, ReportBatchItemFailures);
- nothing that fails all retries is lost: every rule has an ErrorAction to an SQS dead-letter queue, the queue a
  redrive policy to one, and the directly invoked topic function an on-failure destination (an SQS queue);
- every function builds through `make build-<LogicalId>` (the sam build contract);
- SAM's view (`sam build`'s .aws-sam/build/template.yaml, and the SAM translator's CloudFormation output of it)
  has the same functions, routes, topics, environment, timeout and memory as our own reading;
- `evcsm-local --dump-template` (the runner's parse) says the same.

Run with the sam venv's python (needs samcli/samtranslator): `make template-test`. Needs EVCSM_ROOT and
EVCSM_BIN_DIR (the directory holding evcsm-local); fails when either is missing.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import unittest
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

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
}
EXPECTED_TOPICS = {"ChargingUpdates": {"charging/updates"}, "MeterValues": {"chargers/+/meter"}}
# function -> {(queue, BatchSize, MaximumBatchingWindowInSeconds, ReportBatchItemFailures)}: the SQS event sources.
EXPECTED_QUEUES = {"MeterValues": {("MeterReadingsQueue", 100, 1, True)}}
# function -> {(rule name, expression)}: the Schedule events (rule name `<Function><Event>` as SAM names it).
EXPECTED_SCHEDULES = {"ExpireSessions": {("ExpireSessionsEvery", "rate(1 minute)")}}
# function -> the AWS::IoT::Authorizer resources that invoke it (chargers' MQTT sign-ins; no event of its own).
EXPECTED_AUTHORIZERS = {"MqttAuthorizer": {"ChargerAuthorizer"}}
MAX_RECEIVE_COUNT = 3
RUNNER_PROVIDED = {"DATA_API_URL", "DATA_API_KEY", "IOT_DATA_ENDPOINT"}
RUNNER_PLACEHOLDER = "(set by evcsm-local)"  # LocalRunner/TemplateLoader.runnerProvidedPlaceholder
RULE_SQL = "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM '{}'"
PUBLISHERS = {"StartSession", "StopSession", "ChargingUpdates", "MeterValues", "ExpireSessions"}
REQUIRED_ENVIRONMENT = {
    "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
    "IOT_DATA_ENDPOINT", "TARIFF_PER_KWH", "TARIFF_SESSION_FEE", "TARIFF_PER_MINUTE", "TARIFF_CURRENCY",
    "DEFAULT_CHARGING_POINT", "DEFAULT_MAX_POWER", "DEFAULT_TARGET_CHARGE", "DEFAULT_BATTERY_CAPACITY",
    "DEFAULT_CURRENT_CHARGE", "LOG_LEVEL",
}
DEFAULTS = {"TARIFF_PER_KWH": "0.50", "TARIFF_SESSION_FEE": "5.00", "TARIFF_PER_MINUTE": "0.00",
            "TARIFF_CURRENCY": "EUR", "DEFAULT_CHARGING_POINT": "cp-1", "DEFAULT_MAX_POWER": "11",
            "DEFAULT_TARGET_CHARGE": "80", "DEFAULT_BATTERY_CAPACITY": "55", "DEFAULT_CURRENT_CHARGE": "40",
            "LOG_LEVEL": "info", "DATA_API_DATA_SOURCE": "mongodb-atlas", "DATA_API_DATABASE": "EVChargingDB"}


def load(path: Path) -> dict[str, Any]:
    return yaml_parse(path.read_text())


def resolve(value: Any, parameters: dict[str, Any], where: str) -> str:
    """A scalar property: plain values and `!Ref <Parameter>` (to its default), like the local runner."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return str(parameters[value["Ref"]].get("Default", ""))
        raise AssertionError(f"{where}: unsupported intrinsic {value} (the runner resolves only !Ref to parameters)")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def reference(value: Any, attribute: str | None = None) -> str | None:
    """The logical id in `!Ref X` (attribute None) or `!GetAtt X.<attribute>`."""
    if not isinstance(value, dict):
        return None
    if attribute is None:
        return value.get("Ref")
    target = value.get("Fn::GetAtt")
    if isinstance(target, str):
        target = target.split(".", 1)
    if isinstance(target, list) and len(target) == 2 and target[1] == attribute:
        return target[0]
    return None


def topic_filter(sql: str, where: str) -> str:
    match = re.fullmatch(r"SELECT .* FROM '([^']+)'", sql)
    assert match, f"{where}: cannot read the topic filter from {sql!r}"
    return match.group(1)


def queue_sources(properties: dict[str, Any]) -> set[tuple[str, int, int, bool]]:
    """(queue, BatchSize, MaximumBatchingWindowInSeconds, ReportBatchItemFailures) of each SQS event, SAM defaults."""
    sources = set()
    for event_name, event in properties.get("Events", {}).items():
        if event["Type"] != "SQS":
            continue
        props = event["Properties"]
        queue = reference(props["Queue"], "Arn")
        assert queue, f"Events.{event_name}: Queue must be !GetAtt <queue>.Arn"
        sources.add((queue, int(props.get("BatchSize", 10)), int(props.get("MaximumBatchingWindowInSeconds", 0)),
                     "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])))
    return sources


def rule_topics(document: dict[str, Any]) -> dict[str, set[str]]:
    """function -> topic filters reaching it through AWS::IoT::TopicRule resources (Lambda action, or Sqs action to
    a queue the function reads with an SQS event)."""
    readers: dict[str, str] = {}
    for logical_id, resource in document["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            for queue, *_ in queue_sources(resource.get("Properties", {})):
                assert queue not in readers, f"queue {queue} has two readers"
                readers[queue] = logical_id
    topics: dict[str, set[str]] = {}
    for logical_id, resource in document["Resources"].items():
        if resource.get("Type") != "AWS::IoT::TopicRule":
            continue
        payload = resource["Properties"]["TopicRulePayload"]
        if payload.get("RuleDisabled") in (True, "true"):
            continue
        topic = topic_filter(payload["Sql"], logical_id)
        for action in payload["Actions"]:
            if "Lambda" in action:
                function = reference(action["Lambda"]["FunctionArn"], "Arn")
            else:
                queue = reference(action["Sqs"]["QueueUrl"])
                assert queue in readers, f"{logical_id}: queue {queue} has no SQS event reading it"
                function = readers[queue]
            assert function, f"{logical_id}: cannot tell which function {action} reaches"
            topics.setdefault(function, set()).add(topic)
    return topics


def effective_functions(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each function's routes, topics, SQS event sources, environment, timeout and memory after applying Globals
    like SAM does."""
    parameters = document.get("Parameters", {})
    globals_ = document.get("Globals", {}).get("Function", {})
    by_rule = rule_topics(document)
    result = {}
    for logical_id, resource in document["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        environment = dict(globals_.get("Environment", {}).get("Variables", {}))
        environment.update(properties.get("Environment", {}).get("Variables", {}))
        routes, topics, schedules = set(), set(by_rule.get(logical_id, set())), set()
        for event_name, event in properties.get("Events", {}).items():
            where = f"{logical_id}.Events.{event_name}"
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                method = resolve(props["Method"], parameters, where).upper()
                routes.add((method, resolve(props["Path"], parameters, where)))
            elif event["Type"] == "IoTRule":
                topics.add(topic_filter(resolve(event["Properties"]["Sql"], parameters, where), where))
            elif event["Type"] == "SQS":
                pass  # queue_sources
            elif event["Type"] == "Schedule":
                props = event["Properties"]
                name = resolve(props.get("Name", f"{logical_id}{event_name}"), parameters, where)
                schedules.add((name, resolve(props["Schedule"], parameters, where)))
            else:
                raise AssertionError(f"{where}: unexpected event type {event['Type']}")
        result[logical_id] = {
            "routes": routes,
            "topics": topics,
            "queues": queue_sources(properties),
            "schedules": schedules,
            "environment": {
                name: resolve(value, parameters, f"{logical_id}.{name}") for name, value in environment.items()
            },
            "timeout": int(properties.get("Timeout", globals_.get("Timeout", 3))),
            "memorySize": int(properties.get("MemorySize", globals_.get("MemorySize", 128))),
            "properties": properties,
            "metadata": resource.get("Metadata", {}),
        }
    return result


def comparable(functions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = ("routes", "topics", "queues", "schedules", "environment", "timeout", "memorySize")
    return {name: {key: spec[key] for key in keys} for name, spec in functions.items()}


def function_targets() -> dict[str, str]:
    """Executable targets under Functions/ according to SwiftPM itself."""
    output = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    package = json.loads(output)
    targets = {}
    for target in package["targets"]:
        path = target.get("path") or ""
        if target["type"] == "executable" and path.startswith("Functions/"):
            targets[target["name"]] = path
    return targets


class TemplateContract(unittest.TestCase):
    document: dict[str, Any]
    functions: dict[str, dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.document = load(TEMPLATE)
        cls.functions = effective_functions(cls.document)

    def test_function_targets_and_template_functions_match(self) -> None:
        targets = function_targets()
        self.assertEqual(set(targets), set(self.functions), "Package.swift function targets vs template functions")
        for name, path in targets.items():
            self.assertEqual(path, f"Functions/{name}")
            self.assertTrue(any((ROOT / path).glob("*.swift")), f"{path} has no Swift sources")

    def test_routes_and_topics_follow_the_contract(self) -> None:
        routes = {name: spec["routes"] for name, spec in self.functions.items() if spec["routes"]}
        topics = {name: spec["topics"] for name, spec in self.functions.items() if spec["topics"]}
        self.assertEqual(routes, EXPECTED_ROUTES)
        self.assertEqual(topics, EXPECTED_TOPICS)
        authorizers: dict[str, set[str]] = {}
        for logical_id, resource in self.document["Resources"].items():
            if resource["Type"] == "AWS::IoT::Authorizer":
                function = reference(resource["Properties"]["AuthorizerFunctionArn"], "Arn")
                authorizers.setdefault(function, set()).add(logical_id)
        self.assertEqual(authorizers, EXPECTED_AUTHORIZERS)
        for name, spec in self.functions.items():
            self.assertTrue(spec["routes"] or spec["topics"] or spec["schedules"] or name in authorizers,
                            f"{name} has no trigger")
        all_routes = [route for spec in self.functions.values() for route in spec["routes"]]
        self.assertEqual(len(all_routes), len(set(all_routes)), "a route is served by two functions")
        queues = {name: spec["queues"] for name, spec in self.functions.items() if spec["queues"]}
        self.assertEqual(queues, EXPECTED_QUEUES)
        schedules = {name: spec["schedules"] for name, spec in self.functions.items() if spec["schedules"]}
        self.assertEqual(schedules, EXPECTED_SCHEDULES)
        rules = [r for r in self.document["Resources"].values() if r["Type"] == "AWS::IoT::TopicRule"]
        self.assertEqual(len(rules), len(EXPECTED_TOPICS), "one topic rule per topic function")
        for rule in rules:
            payload = rule["Properties"]["TopicRulePayload"]
            topic = topic_filter(payload["Sql"], "rule")
            self.assertEqual(payload["Sql"], RULE_SQL.format(topic))
            self.assertEqual(payload.get("AwsIotSqlVersion"), "2016-03-23")
            for action in payload["Actions"]:
                if "Sqs" in action:
                    self.assertIs(action["Sqs"].get("UseBase64"), False, "the queue body is the SELECT result JSON")
        for name in EXPECTED_TOPICS:
            self.assertFalse(any(e["Type"] == "IoTRule" for e in self.functions[name]["properties"].get("Events", {})
                                 .values()), f"{name}: topics come from rule resources (an IoTRule event has no "
                                             "ErrorAction)")

    def test_a_message_that_fails_all_retries_is_kept(self) -> None:
        """IoT rules have an ErrorAction to an SQS queue; the directly invoked topic function an on-failure
        destination; the meter queue a redrive policy to a dead-letter queue (the runner's dead-letter file)."""
        resources = self.document["Resources"]

        def is_queue(logical_id: str | None) -> bool:
            return bool(logical_id) and resources.get(logical_id, {}).get("Type") == "AWS::SQS::Queue"

        readers = {queue for spec in self.functions.values() for queue, *_ in spec["queues"]}
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::IoT::TopicRule":
                error = resource["Properties"]["TopicRulePayload"].get("ErrorAction", {})
                self.assertIn("Sqs", error, f"{logical_id}: needs an ErrorAction to an SQS queue")
                self.assertTrue(is_queue(reference(error["Sqs"]["QueueUrl"])), f"{logical_id}: ErrorAction queue")
                for action in resource["Properties"]["TopicRulePayload"]["Actions"]:
                    if "Lambda" in action:
                        function = reference(action["Lambda"]["FunctionArn"], "Arn")
                        config = self.functions[function]["properties"].get("EventInvokeConfig", {})
                        failure = config.get("DestinationConfig", {}).get("OnFailure", {})
                        self.assertEqual(failure.get("Type"), "SQS", f"{function}: on-failure destination")
                        self.assertTrue(is_queue(reference(failure.get("Destination"), "Arn")), function)
                        self.assertEqual(config.get("MaximumRetryAttempts"), 2, f"{function}: the runner retries twice")
        for queue in readers:
            redrive = resources[queue]["Properties"].get("RedrivePolicy", {})
            self.assertTrue(is_queue(reference(redrive.get("deadLetterTargetArn"), "Arn")), f"{queue}: RedrivePolicy")
            self.assertEqual(redrive.get("maxReceiveCount"), MAX_RECEIVE_COUNT, queue)
            timeout = max(spec["timeout"] for spec in self.functions.values() if any(q == queue for q, *_ in spec["queues"]))
            self.assertGreaterEqual(int(resources[queue]["Properties"].get("VisibilityTimeout", 30)), timeout, queue)

    def test_http_events_share_one_http_api(self) -> None:
        apis = {
            json.dumps(event["Properties"].get("ApiId"))
            for spec in self.functions.values()
            for event in spec["properties"].get("Events", {}).values()
            if event["Type"] == "HttpApi"
        }
        self.assertEqual(apis, {json.dumps({"Ref": "HttpApi"})})
        self.assertEqual(self.document["Resources"]["HttpApi"]["Type"], "AWS::Serverless::HttpApi")
        self.assertIn("CorsConfiguration", self.document["Resources"]["HttpApi"]["Properties"])
        body_paths = self.document["Resources"]["HttpApi"]["Properties"]["DefinitionBody"]["paths"]
        body_routes = {(method.upper(), path) for path, item in body_paths.items() for method in item}
        self.assertEqual(body_routes, set().union(*EXPECTED_ROUTES.values()), "OpenAPI body paths vs HttpApi events")

    def test_runtime_packaging_and_environment(self) -> None:
        globals_ = self.document["Globals"]["Function"]
        self.assertEqual(globals_["Runtime"], "provided.al2023")
        self.assertEqual(globals_["Architectures"], ["x86_64"])
        self.assertEqual(globals_["Handler"], "bootstrap")
        for name, spec in self.functions.items():
            self.assertEqual(spec["metadata"].get("BuildMethod"), "makefile", name)
            self.assertEqual(spec["properties"].get("CodeUri"), ".", name)
            self.assertLessEqual(REQUIRED_ENVIRONMENT, set(spec["environment"]), name)
            for variable, value in DEFAULTS.items():
                self.assertEqual(spec["environment"][variable], value, f"{name} {variable}")
        self.assertTrue(self.document["Parameters"]["DataApiKey"].get("NoEcho"), "DataApiKey must be NoEcho")

    def test_every_function_names_its_handler_file(self) -> None:
        for name, spec in self.functions.items():
            handler = spec["metadata"].get("Handler")
            self.assertIsNotNone(handler, f"{name}: Metadata.Handler is missing")
            path = ROOT / handler
            self.assertTrue(path.is_file(), f"{name}: Metadata.Handler {handler} does not exist")
            main = (ROOT / "Functions" / name / "main.swift").read_text()
            declared = re.findall(r"public struct (\w+Handler)\b", path.read_text())
            self.assertTrue(declared, f"{name}: {handler} declares no handler type")
            self.assertTrue(any(t in main for t in declared), f"{name}: main.swift does not use {declared} of {handler}")

    def test_iot_publish_is_limited_to_session_updates(self) -> None:
        publishers = set()
        for name, spec in self.functions.items():
            for policy in spec["properties"].get("Policies", []):
                for statement in policy["Statement"]:
                    self.assertEqual(statement["Action"], "iot:Publish", name)
                    resource = statement["Resource"]
                    text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
                    self.assertTrue(text.endswith(":topic/session/updates"), f"{name}: {text}")
                    publishers.add(name)
        self.assertEqual(publishers, PUBLISHERS)

    def test_every_function_has_a_make_build_target(self) -> None:
        for name in self.functions:
            result = subprocess.run(["make", "-n", f"build-{name}"], cwd=ROOT, capture_output=True, text=True,
                                    env={**os.environ, "ARTIFACTS_DIR": "/tmp/evcsm-dry-run"})
            self.assertEqual(result.returncode, 0, f"make -n build-{name}: {result.stderr}")
            self.assertRegex(result.stdout, rf"/{name}\" \"\$ARTIFACTS_DIR/bootstrap\"", "installs <Name> as bootstrap")


class SamAgrees(unittest.TestCase):
    def test_sam_build_template_agrees(self) -> None:
        self.assertTrue(BUILT_TEMPLATE.is_file(), f"{BUILT_TEMPLATE} is missing: run `make sam-build` first")
        built = effective_functions(load(BUILT_TEMPLATE))
        ours = effective_functions(load(TEMPLATE))
        self.assertEqual(comparable(built), comparable(ours))
        for name, spec in built.items():
            bootstrap = BUILT_TEMPLATE.parent / spec["properties"]["CodeUri"] / "bootstrap"
            self.assertTrue(os.access(bootstrap, os.X_OK), f"{bootstrap} missing or not executable")

    def test_sam_translator_wires_routes_and_topics_to_the_same_functions(self) -> None:
        from samtranslator.public.translator import ManagedPolicyLoader  # noqa: F401 (import check)
        from samtranslator.translator.transform import transform

        class NoManagedPolicies:
            def load(self) -> dict[str, str]:
                return {}

        document = copy.deepcopy(load(BUILT_TEMPLATE if BUILT_TEMPLATE.is_file() else TEMPLATE))
        for resource in document["Resources"].values():
            if resource.get("Type") == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = "s3://evcsm-artifacts/code.zip"  # translator needs S3 here
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
        output = transform(document, {}, NoManagedPolicies())
        resources = output["Resources"]
        routes: dict[str, set[tuple[str, str]]] = {}
        body = resources["HttpApi"]["Properties"]["Body"]
        for path, item in body["paths"].items():
            for method, operation in item.items():
                uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
                function = re.search(r"\$\{(\w+)\.Arn\}", uri).group(1)
                routes.setdefault(function, set()).add((method.upper(), path))
        # The translated output holds only CloudFormation: event source mappings instead of SQS events.
        readers: dict[str, str] = {}
        queues: dict[str, set[tuple[str, int, int, bool]]] = {}
        for resource in resources.values():
            if resource["Type"] == "AWS::Lambda::EventSourceMapping":
                props = resource["Properties"]
                queue, function = reference(props["EventSourceArn"], "Arn"), reference(props["FunctionName"])
                readers[queue] = function
                queues.setdefault(function, set()).add(
                    (queue, int(props["BatchSize"]), int(props.get("MaximumBatchingWindowInSeconds", 0)),
                     "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])))
        topics: dict[str, set[str]] = {}
        for resource in resources.values():
            if resource["Type"] == "AWS::IoT::TopicRule":
                payload = resource["Properties"]["TopicRulePayload"]
                for action in payload["Actions"]:
                    if "Lambda" in action:
                        function = reference(action["Lambda"]["FunctionArn"], "Arn")
                    else:
                        function = readers[reference(action["Sqs"]["QueueUrl"])]
                    topics.setdefault(function, set()).add(re.search(r"FROM '([^']+)'", payload["Sql"]).group(1))
        scheduled: dict[str, set[str]] = {}
        for resource in resources.values():
            if resource["Type"] == "AWS::Events::Rule":
                for target in resource["Properties"]["Targets"]:
                    scheduled.setdefault(reference(target["Arn"], "Arn"), set()).add(resolve(
                        resource["Properties"]["ScheduleExpression"], document.get("Parameters", {}), "rule"))
        self.assertEqual(scheduled, {name: {expression for _, expression in rules}
                                     for name, rules in EXPECTED_SCHEDULES.items()})
        invoke_configs = {reference(r["Properties"]["FunctionName"]) for r in resources.values()
                          if r["Type"] == "AWS::Lambda::EventInvokeConfig"}
        self.assertEqual(routes, EXPECTED_ROUTES)
        self.assertEqual(topics, EXPECTED_TOPICS)
        self.assertEqual(queues, EXPECTED_QUEUES)
        self.assertEqual(invoke_configs, set(EXPECTED_TOPICS) - set(EXPECTED_QUEUES))
        for name in set(EXPECTED_ROUTES) | set(EXPECTED_TOPICS) | set(EXPECTED_SCHEDULES):
            function = resources[name]["Properties"]
            self.assertEqual(function["Runtime"], "provided.al2023")
            self.assertEqual(function["Handler"], "bootstrap")
            self.assertEqual(function["Architectures"], ["x86_64"])


class RunnerAgrees(unittest.TestCase):
    def test_local_runner_parse_agrees(self) -> None:
        bin_dir = os.environ.get("EVCSM_BIN_DIR")
        self.assertTrue(bin_dir, "EVCSM_BIN_DIR is not set (directory with the evcsm-local debug build)")
        runner = Path(bin_dir) / "evcsm-local"
        self.assertTrue(os.access(runner, os.X_OK), f"{runner} is missing: build evcsm-local (`make build`)")
        result = subprocess.run([str(runner), "--dump-template"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, f"evcsm-local --dump-template failed: {result.stderr}")
        dump = json.loads(result.stdout)
        runner_view = {}
        for function in dump["functions"]:
            runner_view[function["logicalId"]] = {
                "routes": {(route["method"].upper(), route["path"]) for route in function["routes"]},
                "topics": set(function["topics"]),
                "queues": {(queue["queue"], int(queue["batchSize"]), int(queue["maximumBatchingWindowInSeconds"]),
                            bool(queue["reportBatchItemFailures"])) for queue in function.get("queues", [])},
                "schedules": {(schedule["name"], schedule["expression"]) for schedule in function.get("schedules", [])},
                "environment": {name: str(value) for name, value in function["environment"].items()},
                "timeout": int(function["timeout"]),
                "memorySize": int(function["memorySize"]),
            }
        sam_view = comparable(effective_functions(load(BUILT_TEMPLATE if BUILT_TEMPLATE.is_file() else TEMPLATE)))
        # The runner points these at itself; it may show a placeholder instead of the template's value.
        for spec in runner_view.values():
            for name in RUNNER_PROVIDED:
                if spec["environment"].get(name) == RUNNER_PLACEHOLDER:
                    del spec["environment"][name]
        for name, spec in sam_view.items():
            for variable in RUNNER_PROVIDED - set(runner_view.get(name, {}).get("environment", {})):
                spec["environment"].pop(variable, None)
        self.assertEqual(runner_view, sam_view)


def main() -> int:
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.testsRun == 0:
        print("template-test: FAIL - no tests ran")
        return 1
    if not result.wasSuccessful():
        print(f"template-test: FAIL ({len(result.failures)} failures, {len(result.errors)} errors)")
        return 1
    print(f"template-test: {result.testsRun} tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

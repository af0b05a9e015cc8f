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

from template_contract import (BUILT_TEMPLATE, CONNECTION_MANAGERS, DEFAULTS, EXPECTED_AUTHORIZERS, EXPECTED_QUEUES, EXPECTED_ROUTES,
                               EXPECTED_SCHEDULES, EXPECTED_TOPICS, MAX_RECEIVE_COUNT, PUBLISHERS, REQUIRED_ENVIRONMENT,
                               ROOT, RULE_SQL, RUNNER_PLACEHOLDER, RUNNER_PROVIDED, TEMPLATE)
from template_model import (comparable, effective_functions, function_targets, load, reference, runner_functions,
                            topic_filter, translated_wiring, websocket_routes)
from template_websocket_checks import WebSocketApiContract  # noqa: F401 (collected by main())


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
        websocket = {route["function"] for route in websocket_routes(self.document).values()}
        for name, spec in self.functions.items():
            self.assertTrue(spec["routes"] or spec["topics"] or spec["schedules"] or name in authorizers
                            or name in websocket, f"{name} has no trigger")
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

    def test_iot_publish_is_limited_to_the_functions_topics(self) -> None:
        """iot:Publish only to each publisher's topics; execute-api:ManageConnections only on the OcppApi."""
        publishers: dict[str, set[str]] = {}
        managers = set()
        for name, spec in self.functions.items():
            for policy in spec["properties"].get("Policies", []):
                for statement in policy["Statement"]:
                    resources = statement["Resource"] if isinstance(statement["Resource"], list) \
                        else [statement["Resource"]]
                    texts = [r["Fn::Sub"] if isinstance(r, dict) else r for r in resources]
                    if statement["Action"] == "execute-api:ManageConnections":
                        self.assertEqual(texts, ["arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                                                 "${OcppApi}/*"], name)
                        managers.add(name)
                        continue
                    self.assertEqual(statement["Action"], "iot:Publish", name)
                    for text in texts:
                        self.assertIn(":topic/", text, f"{name}: {text}")
                        publishers.setdefault(name, set()).add(text.split(":topic/", 1)[1])
        self.assertEqual(publishers, PUBLISHERS)
        self.assertEqual(managers, CONNECTION_MANAGERS)

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
        document = copy.deepcopy(load(BUILT_TEMPLATE if BUILT_TEMPLATE.is_file() else TEMPLATE))
        resources, routes, topics, queues, scheduled, invoke_configs = translated_wiring(document)
        self.assertEqual(scheduled, {name: {expression for _, expression in rules}
                                     for name, rules in EXPECTED_SCHEDULES.items()})
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
        runner_view = runner_functions(dump)
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

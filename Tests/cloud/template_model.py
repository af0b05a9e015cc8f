"""Reading template.yaml (and SAM's translations of it) the way SAM and the local runner do, for test_template.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

from template_contract import ROOT


def load(path: Path) -> dict[str, Any]:
    return yaml_parse(path.read_text())


def resolve(value: Any, parameters: dict[str, Any], where: str) -> str:
    """A scalar property: plain values and `!Ref <Parameter>` (to its default), like the local runner."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return str(parameters[value["Ref"]].get("Default", ""))
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return value["Fn::Sub"]  # as written: a resource's value exists only once deployed
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


def translated_wiring(document: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The SAM translator's CloudFormation output of `document`: its resources, and which function each route, topic,
    SQS event source mapping and schedule reaches, and the functions with an EventInvokeConfig."""
    from samtranslator.public.translator import ManagedPolicyLoader  # noqa: F401 (import check)
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

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
    invoke_configs = {reference(r["Properties"]["FunctionName"]) for r in resources.values()
                      if r["Type"] == "AWS::Lambda::EventInvokeConfig"}
    return resources, routes, topics, queues, scheduled, invoke_configs


def runner_functions(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`evcsm-local --dump-template` output in the shape of `comparable(effective_functions(...))`."""
    view = {}
    for function in dump["functions"]:
        view[function["logicalId"]] = {
            "routes": {(route["method"].upper(), route["path"]) for route in function["routes"]},
            "topics": set(function["topics"]),
            "queues": {(queue["queue"], int(queue["batchSize"]), int(queue["maximumBatchingWindowInSeconds"]),
                        bool(queue["reportBatchItemFailures"])) for queue in function.get("queues", [])},
            "schedules": {(schedule["name"], schedule["expression"]) for schedule in function.get("schedules", [])},
            "environment": {name: str(value) for name, value in function["environment"].items()},
            "timeout": int(function["timeout"]),
            "memorySize": int(function["memorySize"]),
        }
    return view


def websocket_routes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """route key -> {function, two_way, api} of every AWS::ApiGatewayV2::Route: Target
    `!Join ["/", [integrations, !Ref <Integration>]]` (or `!Sub integrations/${<Integration>}`), the integration's
    AWS_PROXY IntegrationUri `!Sub ...${<Function>.Arn}...`; two-way when a RouteResponse names the route."""
    resources = document["Resources"]
    answered = {reference(r["Properties"]["RouteId"]) for r in resources.values()
                if r.get("Type") == "AWS::ApiGatewayV2::RouteResponse"}
    routes: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = resource["Properties"]
        target = props["Target"]
        if "Fn::Join" in target:
            integration = reference(target["Fn::Join"][1][1])
        else:
            integration = re.fullmatch(r"integrations/\$\{(\w+)\}", target["Fn::Sub"]).group(1)
        integration_props = resources[integration]["Properties"]
        assert integration_props["IntegrationType"] == "AWS_PROXY", f"{integration}: Lambda proxy integration"
        function = re.search(r"\$\{(\w+)\.Arn\}", integration_props["IntegrationUri"]["Fn::Sub"]).group(1)
        routes[props["RouteKey"]] = {"function": function, "api": reference(props["ApiId"]),
                                     "two_way": logical_id in answered and "RouteResponseSelectionExpression" in props}
    return routes

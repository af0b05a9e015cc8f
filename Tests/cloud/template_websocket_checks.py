"""template.yaml's WebSocket API (issue 14: OCPP 1.6J) for test_template.py: the routes reach the contract's
functions through Lambda proxy integrations, $default answers (route response), one auto-deployed stage, API
Gateway may invoke each function, the management endpoint and the OCPP URL are the stage's; evcsm-local reads the
same routes (`--dump-template`)."""

from __future__ import annotations

import json
import os
import subprocess
import unittest
from pathlib import Path

from template_contract import EXPECTED_WEBSOCKET_ROUTES, ROOT, TEMPLATE, WEBSOCKET_STAGE
from template_model import effective_functions, load, reference, websocket_routes

ENDPOINT = "https://${OcppApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + WEBSOCKET_STAGE


class WebSocketApiContract(unittest.TestCase):
    def setUp(self) -> None:
        self.document = load(TEMPLATE)
        self.resources = self.document["Resources"]
        self.routes = websocket_routes(self.document)

    def test_routes_reach_the_contracts_functions(self) -> None:
        by_function: dict[str, set[str]] = {}
        for key, route in self.routes.items():
            by_function.setdefault(route["function"], set()).add(key)
            self.assertEqual(route["api"], "OcppApi", key)
        self.assertEqual(by_function, EXPECTED_WEBSOCKET_ROUTES)
        self.assertEqual({key for key, route in self.routes.items() if route["two_way"]}, {"$default"})
        api = self.resources["OcppApi"]
        self.assertEqual(api["Type"], "AWS::ApiGatewayV2::Api")
        self.assertEqual(api["Properties"]["ProtocolType"], "WEBSOCKET")
        connect = next(r for r in self.resources.values()
                       if r["Type"] == "AWS::ApiGatewayV2::Route" and r["Properties"]["RouteKey"] == "$connect")
        self.assertEqual(connect["Properties"].get("AuthorizationType"), "NONE", "chargers use HTTP Basic auth")
        functions = effective_functions(self.document)
        for name in EXPECTED_WEBSOCKET_ROUTES:
            self.assertFalse(functions[name]["routes"], f"{name} has no HttpApi event")

    def test_one_auto_deployed_stage_and_invoke_permissions(self) -> None:
        stages = [r["Properties"] for r in self.resources.values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
        self.assertEqual(len(stages), 1)
        self.assertEqual(stages[0]["StageName"], WEBSOCKET_STAGE)
        self.assertIs(stages[0].get("AutoDeploy"), True)
        permitted = {reference(r["Properties"]["FunctionName"]) for r in self.resources.values()
                     if r["Type"] == "AWS::Lambda::Permission"
                     and r["Properties"]["Principal"] == "apigateway.amazonaws.com"}
        self.assertEqual(permitted, set(EXPECTED_WEBSOCKET_ROUTES))

    def test_endpoint_and_outputs_are_the_stages(self) -> None:
        variables = self.document["Globals"]["Function"]["Environment"]["Variables"]
        self.assertEqual(variables["OCPP_CONNECTIONS_ENDPOINT"], {"Fn::Sub": ENDPOINT})
        outputs = self.document["Outputs"]
        self.assertEqual(outputs["OcppUrl"]["Value"], {"Fn::Sub": "wss" + ENDPOINT.removeprefix("https")})
        self.assertEqual(outputs["OcppConnectionsEndpoint"]["Value"], {"Fn::Sub": ENDPOINT})
        functions = effective_functions(self.document)
        for name in ("StartSession", "StopSession", "SendChargerCommand"):
            self.assertGreaterEqual(functions[name]["timeout"], 20, f"{name} waits for the charger")

    def test_local_runner_reads_the_same_routes(self) -> None:
        bin_dir = os.environ.get("EVCSM_BIN_DIR")
        self.assertTrue(bin_dir, "EVCSM_BIN_DIR is not set (directory with the evcsm-local debug build)")
        result = subprocess.run([str(Path(bin_dir) / "evcsm-local"), "--dump-template"], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        apis = json.loads(result.stdout)["webSocketAPIs"]
        self.assertEqual([(api["logicalId"], api["stage"]) for api in apis], [("OcppApi", WEBSOCKET_STAGE)])
        self.assertEqual({route["routeKey"]: (route["function"], route["returnsResponse"]) for route in apis[0]["routes"]},
                         {key: (route["function"], route["two_way"]) for key, route in self.routes.items()})

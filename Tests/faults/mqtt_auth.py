"""Broker sign-in (issue 13), part of the MQTT fuzz run: clients without credentials or with a wrong password are
refused at CONNECT (paho-mqtt's reason code, MQTT 3.1.1 and 5) and write nothing. Each refused client tries to
start a session on its own charging point (a valid `charging/updates` start queued behind the CONNECT, and on a
raw socket sent in the same segment as the CONNECT); the fuzz run's final store comparison finds any session
or lock on those points ("unexpected session(s)", "charging points never started").
"""

from __future__ import annotations

import socket
import threading

import paho.mqtt.client as mqtt

from harness import Runner, check, wait_for
from mqtt_clients import UPDATES, raw_connect, remaining_length, utf8_field
# paho's reason codes for a refused CONNECT: 134 Bad User Name or Password, 135 Not authorized (MQTT 5; a 3.1.1
# CONNACK's return codes 4 and 5 are reported as these).
REFUSED = {134, 135}


def start_payload(point: str) -> bytes:
    return (f'{{"status":"Charging","chargingPointId":"{point}","userId":"u-anon","vehicleId":"v-anon",'
            f'"maxPower":11,"targetCharge":80}}').encode()  # fmt: skip


def paho_connect(port: int, client_id: str, protocol: int, credentials: tuple[str, str | None] | None) -> mqtt.ReasonCode:
    """The reason code of the broker's CONNACK for one paho client (a start on its point queued behind it)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    if credentials:
        client.username_pw_set(*credentials)
    answered = threading.Event()
    result: dict[str, mqtt.ReasonCode] = {}

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        result.setdefault("reason", reason_code)
        answered.set()

    client.on_connect = on_connect
    client.reconnect_delay_set(3600, 3600)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        client.publish(UPDATES, start_payload(client_id), qos=1)
        wait_for(f"a CONNACK for {client_id}", answered.is_set, timeout=30)
    finally:
        client.disconnect()
        client.loop_stop()
    return result["reason"]


def raw_connect_then_publish(port: int, client_id: str, credentials: tuple[str, str] | None) -> tuple[int, bool]:
    """CONNECT and a QoS 0 PUBLISH of a start in one write; returns (CONNACK return code, connection closed)."""
    body = utf8_field(UPDATES.encode()) + start_payload(client_id)
    publish = b"\x30" + remaining_length(len(body)) + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw_connect(client_id, credentials) + publish)
        answer = sock.recv(4)
        check(answer[:1] == b"\x20" and len(answer) == 4, f"{client_id}: no CONNACK ({answer!r})")
        try:
            closed = sock.recv(1) == b""
        except OSError:
            closed = True
    return answer[3], closed


def refused_clients(runner: Runner, simulator: tuple[str, str]) -> list[str]:
    """Runs the refusal cases; fails unless each is refused at CONNECT. Returns the summary lines."""
    username, password = simulator
    wrong = password[::-1] if password[::-1] != password else password + "x"
    lines = []
    cases = [
        ("fz-auth-anon-311", mqtt.MQTTv311, None),
        ("fz-auth-wrongpw-311", mqtt.MQTTv311, (username, wrong)),
        ("fz-auth-anon-5", mqtt.MQTTv5, None),
        ("fz-auth-nouser-5", mqtt.MQTTv5, ("fz-nobody", wrong)),
        ("fz-auth-nopw-5", mqtt.MQTTv5, (username, None)),
    ]
    for client_id, protocol, credentials in cases:
        reason = paho_connect(runner.mqtt_port, client_id, protocol, credentials)
        check(reason.is_failure and reason.value in REFUSED,
              f"{client_id}: CONNECT not refused as unauthorized: reason {reason.value} {reason}")
        lines.append(f"{client_id}: refused at CONNECT, reason {reason.value} ({reason})")
    for client_id, credentials in [("fz-auth-raw-anon", None), ("fz-auth-raw-wrongpw", (username, wrong))]:
        code, closed = raw_connect_then_publish(runner.mqtt_port, client_id, credentials)
        check(code in (4, 5) and closed, f"{client_id}: CONNACK return code {code}, connection closed: {closed}")
        lines.append(f"{client_id}: CONNECT + PUBLISH in one write: CONNACK {code}, connection closed")
    return ["MQTT sign-in refused (no session may appear on these points):", *(f"  {line}" for line in lines)]

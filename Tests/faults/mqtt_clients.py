"""MQTT clients of the fault and fuzz suites (paho-mqtt and raw packets), signed in as the runner's development
users (issue 13: the broker allows no anonymous client). Credentials come from `Runner.mqtt_credentials`.
"""

from __future__ import annotations

import socket
import uuid
from collections import Counter

import paho.mqtt.client as mqtt

from harness import check, wait_for

UPDATES = "charging/updates"
PUBLISH_TIMEOUT = 60.0


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8_field(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def raw_connect(client_id: str, credentials: tuple[str, str] | None = None) -> bytes:
    """An MQTT 3.1.1 CONNECT (clean session), with a username and password when given."""
    flags = 0x02 | (0xC0 if credentials else 0)
    payload = utf8_field(client_id.encode())
    if credentials:
        payload += utf8_field(credentials[0].encode()) + utf8_field(credentials[1].encode())
    body = utf8_field(b"MQTT") + b"\x04" + bytes([flags]) + (60).to_bytes(2, "big") + payload
    return b"\x10" + remaining_length(len(body)) + body


def meter_topic(point: str) -> str:
    return f"chargers/{point}/meter"


def matches_meter_filter(topic: str) -> bool:
    parts = topic.split("/")
    return len(parts) == 3 and parts[0] == "chargers" and parts[2] == "meter"


class Publisher:
    """A paho-mqtt client signed in as `credentials` (username, password), publishing at QoS 1."""

    def __init__(self, port: int, client_id: str, credentials: tuple[str, str]) -> None:
        self.port = port
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(*credentials)
        self.client.max_inflight_messages_set(64)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.client.loop_start()
        wait_for("the fuzz client's CONNACK", self.client.is_connected, timeout=30)

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1)
        check(info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish on {topic!r} ({len(payload)} bytes) failed: rc {info.rc}")
        return info

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Refused:
    """The outcome of a publish the broker's ACL refuses (it drops the message and closes the connection)."""

    def wait_for_publish(self, timeout: float | None = None) -> None:
        pass

    def is_published(self) -> bool:
        return True


class RoutedPublisher:
    """`charging/updates` as the development screen user, `chargers/+/meter` topics as the simulator user.
    A topic outside the simulator's ACL goes out on a client of its own: the broker drops the message and
    disconnects that client (mosquitto 2.0 with dynamic security), which must not cut the fuzz stream."""

    def __init__(self, port: int, client_id: str, screen: tuple[str, str], simulator: tuple[str, str]) -> None:
        self.port, self.client_id, self.simulator = port, client_id, simulator
        self.updates = Publisher(port, f"{client_id}-screen", screen)
        self.others = Publisher(port, f"{client_id}-simulator", simulator)
        self.refused: Counter = Counter()

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo | Refused:
        if topic == UPDATES:
            return self.updates.publish(topic, payload)
        if matches_meter_filter(topic):
            return self.others.publish(topic, payload)
        return self.outside_acl(topic, payload)

    def outside_acl(self, topic: str, payload: bytes) -> Refused:
        serial = sum(self.refused.values())
        client = Publisher(self.port, f"{self.client_id}-outside-{serial}", self.simulator)
        try:
            info = client.publish(topic, payload)
            wait_for(f"the broker's answer to a publish outside the ACL ({topic[:60]!r})",
                     lambda: info.is_published() or not client.client.is_connected(), timeout=PUBLISH_TIMEOUT)
            self.refused["disconnected" if not client.client.is_connected() else "acknowledged"] += 1
        finally:
            client.close()
        return Refused()

    def close(self) -> None:
        self.updates.close()
        self.others.close()


def broker_accepts(port: int, credentials: tuple[str, str]) -> bool:
    """A fresh signed-in MQTT connection gets a CONNACK that accepts it (raw socket: CONNECT, read 4 bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw_connect(f"fz-probe-{uuid.uuid4().hex[:8]}", credentials))
        answer = sock.recv(4)
        return answer[:1] == b"\x20" and answer[3:4] == b"\x00"



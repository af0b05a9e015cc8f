"""Raw MQTT packets for the fuzzer (mqtt_fuzz.py): malformed packets paho refuses to build."""

from __future__ import annotations

import socket
from collections import Counter

from harness import check
from mqtt_clients import broker_accepts, raw_connect, remaining_length, utf8_field

MQTT_MAX_REMAINING = 268_435_455  # the broker config sets no max_packet_size: mosquitto's limit is MQTT's


def raw_cases(port: int, counts: Counter, credentials: tuple[str, str]) -> list[str]:
    """Packets paho refuses to build, sent on raw sockets: the broker must drop the connection, not die."""
    def publish(topic: bytes, payload: bytes) -> bytes:
        body = utf8_field(topic) + payload  # QoS 0: no packet id
        return b"\x30" + remaining_length(len(body)) + body

    reading = b'{"sessionId":"fz-raw","energyWh":1,"seq":1}'
    cases = [
        ("wildcard + in a publish topic", publish(b"chargers/+/meter", reading)),
        ("wildcard # in a publish topic", publish(b"chargers/#", reading)),
        ("invalid UTF-8 topic", publish(b"chargers/\xff\xfe/meter", reading)),
        ("NUL in the topic", publish(b"charging/updates\x00x", b"Charging")),
        ("truncated packet announcing the broker's maximum (268435455 bytes)",
         b"\x30" + remaining_length(MQTT_MAX_REMAINING) + utf8_field(b"charging/updates") + b"x" * 4096),
        ("remaining length past the maximum (5-byte varint)",
         b"\x30\xff\xff\xff\xff\x01" + utf8_field(b"charging/updates") + b"Charging"),
    ]
    seen = []
    for name, packet in cases:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw_connect(f"fz-raw-{len(seen)}", credentials))
            check(sock.recv(4)[:1] == b"\x20", f"raw case {name}: no CONNACK")
            try:
                sock.sendall(packet)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            except OSError:
                pass  # the broker closed the connection: what it should do
        counts["raw:" + ("charging/updates" if b"charging/updates" in packet else "chargers/…/meter")] += 1
        check(broker_accepts(port, credentials), f"the broker stopped accepting connections after the raw case: {name}")
        seen.append(name)
    return seen

"""A minimal RFC 6455 WebSocket client and server on asyncio streams (Python stdlib only, as the bench is): text
frames, masking, ping/pong, close. Enough for OCPP-J 1.6 charge points and for the bench's baseline.

Run as `python3 -B ocpp_wire.py --echo-server PORT`: a bare OCPP-J "CSMS" on 127.0.0.1:PORT that answers every
CALL `[2, id, action, payload]` with `[3, id, {}]` — the same frames the bench sends evcsm, no work behind them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


class HandshakeRefused(Exception):
    def __init__(self, status_line: str):
        super().__init__(f"handshake refused: {status_line}")
        self.status_line = status_line


class WebSocket:
    """One connection; `client` frames are masked, server frames are not."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: bool):
        self.reader, self.writer, self.client = reader, writer, client

    @classmethod
    async def connect(cls, host: str, port: int, path: str, headers: dict[str, str] | None = None,
                      subprotocol: str | None = "ocpp1.6", timeout: float = 30.0) -> "WebSocket":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)).decode(errors="replace")
        status = head.split("\r\n", 1)[0]
        if " 101 " not in status + " ":
            writer.close()
            raise HandshakeRefused(status)
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if _headers(head).get("sec-websocket-accept") != expected:
            writer.close()
            raise HandshakeRefused(f"{status} with Sec-WebSocket-Accept "
                                   f"{_headers(head).get('sec-websocket-accept')!r}, not {expected!r}")
        return cls(reader, writer, client=True)

    async def send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode() if isinstance(text, str) else text
        length = len(payload)
        mask_bit = 0x80 if self.client else 0
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, mask_bit | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, mask_bit | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, mask_bit | 127, length)
        if self.client:
            mask = os.urandom(4)
            payload = mask + _masked(payload, mask)
        self.writer.write(header + payload)
        await self.writer.drain()

    async def recv(self) -> str:
        """The next text message (pings answered on the way); ConnectionError when the peer closes."""
        parts: list[bytes] = []
        while True:
            first, second = await self.reader.readexactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            mask = await self.reader.readexactly(4) if second & 0x80 else None
            data = await self.reader.readexactly(length)
            if mask:
                data = _masked(data, mask)
            if opcode == 0x8:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                raise ConnectionError(f"closed by the peer ({code} {data[2:].decode(errors='replace')})")
            if opcode == 0x9:
                await self.send(data, opcode=0xA)
                continue
            if opcode == 0xA:
                continue
            parts.append(data)
            if first & 0x80:
                return b"".join(parts).decode()

    async def close(self) -> None:
        try:
            await self.send(struct.pack("!H", 1000), opcode=0x8)
        except (ConnectionError, OSError):
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass


def _headers(head: str) -> dict[str, str]:
    """The header fields of an HTTP head, names lower-cased."""
    return {k.strip().lower(): v.strip() for k, _, v in
            (line.partition(":") for line in head.split("\r\n")[1:] if ":" in line)}


def _masked(data: bytes, mask: bytes) -> bytes:
    if not data:
        return data
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


async def _serve_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode(errors="replace")
        headers = _headers(head)
        accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()).decode()
        protocol = "Sec-WebSocket-Protocol: ocpp1.6\r\n" if "ocpp1.6" in headers.get("sec-websocket-protocol", "") else ""
        writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n{protocol}\r\n").encode())
        await writer.drain()
        socket = WebSocket(reader, writer, client=False)
        while True:
            frame = json.loads(await socket.recv())
            await socket.send(json.dumps([3, frame[1], {}], separators=(",", ":")))
    except (ConnectionError, asyncio.IncompleteReadError, KeyError, ValueError, IndexError):
        writer.close()


async def echo_server(port: int) -> None:
    server = await asyncio.start_server(_serve_echo, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--echo-server":
        raise SystemExit("usage: ocpp_wire.py --echo-server PORT")
    asyncio.run(echo_server(int(sys.argv[2])))

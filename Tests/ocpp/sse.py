"""A Server-Sent Events reader for the runner's `/events` (asyncio streams, HTTP/1.1, chunked or not): every
`event:`/`data:` frame goes into a queue as (topic, decoded JSON or text)."""

from __future__ import annotations

import asyncio
import contextlib
import json

from ocpp_harness import WAIT, Failure


class EventStream:
    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.events: asyncio.Queue = asyncio.Queue()
        self.seen: list[tuple[str, object]] = []
        self.task: asyncio.Task | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "EventStream":
        reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), WAIT)
        self.writer.write((f"GET /events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n"
                           f"Authorization: Bearer {self.token}\r\n\r\n").encode())
        await self.writer.drain()
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).decode(errors="replace")
        if " 200 " not in head.split("\r\n", 1)[0] + " ":
            raise Failure(f"GET /events answered {head.splitlines()[0]!r}")
        chunked = "transfer-encoding: chunked" in head.lower()
        self.task = asyncio.create_task(self._read(reader, chunked))
        return self

    async def __aexit__(self, *_) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, asyncio.IncompleteReadError):
                await self.task
        if self.writer:
            self.writer.close()

    async def _read(self, reader: asyncio.StreamReader, chunked: bool) -> None:
        buffer = b""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return
                data = await reader.readexactly(size + 2)
                buffer += data[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
                buffer += data
            buffer = buffer.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                self._frame(frame.decode(errors="replace"))

    def _frame(self, text: str) -> None:
        topic, data = "message", []
        for line in text.split("\n"):
            if line.startswith("event:"):
                topic = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if not data:
            return  # a comment / keep-alive
        joined = "\n".join(data)
        try:
            payload = json.loads(joined)
        except ValueError:
            payload = joined
        self.seen.append((topic, payload))
        self.events.put_nowait((topic, payload))

    async def wait_for(self, what: str, predicate) -> object:
        """The first event (from now on, or already seen) with `predicate(topic, payload)`."""
        for topic, payload in self.seen:
            if predicate(topic, payload):
                return payload
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                topic, payload = await asyncio.wait_for(self.events.get(), max(left, 0.01))
            except asyncio.TimeoutError:
                recent = [t for t, _ in self.seen[-10:]]
                raise Failure(f"no SSE event within {WAIT:.0f} s: {what} (last topics seen: {recent})") from None
            if predicate(topic, payload):
                return payload

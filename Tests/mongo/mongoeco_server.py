"""MongoDB wire-protocol stand-in for the Data API conformance tests (mongoeco, not a real mongod).

Usage: python mongoeco_server.py PORT   (PORT 0 picks a free port)
Prints the connection URI on the first stdout line, then serves on 127.0.0.1 until SIGTERM, SIGINT,
or its parent process (the test that started it) is gone, so a crashed test leaves nothing behind.
"""

import asyncio
import os
import signal
import sys

from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    parent = os.getppid()

    async def watch_parent() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(1)
        stop.set()

    watcher = asyncio.create_task(watch_parent())
    async with AsyncMongoEcoProxyServer(host="127.0.0.1", port=port) as server:
        print(f"mongodb://{server.address.host}:{server.address.port}", flush=True)
        await stop.wait()
    watcher.cancel()


if __name__ == "__main__":
    asyncio.run(main())

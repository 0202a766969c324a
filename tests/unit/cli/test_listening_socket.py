"""The socket ``streammesh up`` listens on: connections it accepts send small writes at once."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from streammesh.cli.up import bind_socket


def test_connections_accepted_by_the_server_have_nagle_off() -> None:
    # With Nagle on, a response written in two parts (headers, then body) under load waits for
    # the client's delayed ACK: ~40 ms added to a /healthz that takes 3 ms.
    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = writer.get_extra_info("socket")
            accepted.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listening = bind_socket("127.0.0.1", 0)
        server = await asyncio.start_server(on_connect, sock=listening)
        port = listening.getsockname()[1]
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await asyncio.wait_for(accepted, 10)
            writer.close()
            await writer.wait_closed()
        return nodelay

    # In a thread of its own: another test of the same worker (Playwright's sync API) may have
    # an event loop running in this thread, where asyncio.run() refuses to start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(lambda: asyncio.run(accept_one())).result(timeout=30) != 0

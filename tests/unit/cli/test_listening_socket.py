"""The socket ``streammesh up`` listens on: connections it accepts send small writes at once."""

from __future__ import annotations

import asyncio
import socket

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

    assert asyncio.run(accept_one()) != 0

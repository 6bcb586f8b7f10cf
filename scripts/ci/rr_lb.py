"""A round-robin TCP balancer for CI: each new connection goes to the next replica (a dead
one is skipped), so, like a Kubernetes Service, a keep-alive connection stays on one replica.

    python3 scripts/ci/rr_lb.py PORT http://127.0.0.1:4000 http://127.0.0.1:4001
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import urllib.parse


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(port: int, upstreams: list[tuple[str, int]]) -> None:
    turn = itertools.cycle(range(len(upstreams)))

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in upstreams:
            host, upstream_port = upstreams[next(turn)]
            try:
                up_reader, up_writer = await asyncio.open_connection(host, upstream_port)
            except OSError:
                continue  # a replica down: the next one
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer),
                                 return_exceptions=True)
            return
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parsed = [urllib.parse.urlsplit(u) for u in sys.argv[2:]]
    asyncio.run(main(int(sys.argv[1]), [(p.hostname or "127.0.0.1", p.port or 80)
                                        for p in parsed]))

"""P3's baseline: a bare grpc.aio server-streaming service whose streams only wait on a queue,
with the same server options as the Processor. No .proto: generic handlers over raw bytes.

    python -m bench.bare_grpc PORT

`/bench.Bare/Subscribe` (unary → stream) parks a queue per call; `/bench.Bare/Broadcast` (unary)
puts its payload on every queue and answers how many it reached; `/bench.Bare/Count` answers how
many streams are open.
"""
from __future__ import annotations

import asyncio
import sys

import grpc

from shared.utils.grpc_options import SERVER_OPTIONS

SUBSCRIBE = "/bench.Bare/Subscribe"
BROADCAST = "/bench.Bare/Broadcast"
COUNT = "/bench.Bare/Count"


def identity(data: bytes) -> bytes:
    return data


class Bare:
    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()

    async def subscribe(self, _request: bytes, _context):
        queue: asyncio.Queue = asyncio.Queue()
        self.queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.queues.discard(queue)

    async def broadcast(self, payload: bytes, _context) -> bytes:
        for queue in self.queues:
            queue.put_nowait(payload)
        return str(len(self.queues)).encode()

    async def count(self, _request: bytes, _context) -> bytes:
        return str(len(self.queues)).encode()


async def main(port: int) -> None:
    bare = Bare()
    server = grpc.aio.server(options=SERVER_OPTIONS)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bench.Bare", {
        "Subscribe": grpc.unary_stream_rpc_method_handler(bare.subscribe, identity, identity),
        "Broadcast": grpc.unary_unary_rpc_method_handler(bare.broadcast, identity, identity),
        "Count": grpc.unary_unary_rpc_method_handler(bare.count, identity, identity),
    })])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

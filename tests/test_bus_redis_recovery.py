"""Fan-out survives a Redis outage: status "reconnecting", retries, resync on its own."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from command_center.ops.live import LiveOps
from command_center.settings import Settings
from tests.e2e.prod_server import free_port
from tests.test_bus_fanout import filed, memory_engine, next_kind, until_version

REDIS_SERVER = shutil.which("redis-server")


class RedisProcess:
    """A private redis-server that can be killed and restarted on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    if REDIS_SERVER is None:
        pytest.fail("redis-server binary not found (needed for the outage test)")
    server = RedisProcess(free_port())
    server.start()
    yield server
    server.kill()


async def test_fanout_reports_reconnecting_and_recovers(private_redis: RedisProcess) -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{private_redis.port}/0", redis_key_prefix="outage:"
    )
    live = LiveOps(settings, engine=memory_engine(), tick_seconds=0.2)
    await live.start()
    try:
        async with live.fanout.subscribe() as consumer:
            first = await next_kind(consumer, "snapshot")
            await live.ingest([filed(1)])
            update = await next_kind(consumer, "update")
            assert update["kpis"]["open_claims"] == 1

            private_redis.kill()
            status = await next_kind(consumer, "status", timeout=15)
            assert status["status"] == "reconnecting"
            during = await live.ingest([filed(2)])  # the database still takes events
            assert during.accepted == 1
            assert (await live.current()).kpis["open_claims"] == 2  # local fallback

            private_redis.start()  # same port, empty: the snapshot must be rebuilt
            status = await next_kind(consumer, "status", timeout=15)
            assert status["status"] == "live"
            resync = await next_kind(consumer, "snapshot", timeout=15)
            assert resync["version"] > update["version"] > first["version"]
            assert resync["kpis"]["open_claims"] == 2

            await live.ingest([filed(3)])
            item = await until_version(consumer, resync["version"] + 1, timeout=15)
            assert item["kpis"]["open_claims"] == 3
            assert live.fanout.status == "live" and live.fanout.reconnects >= 1
    finally:
        await live.stop()

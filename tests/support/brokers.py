"""The worker tests' brokers: a private redis-server (stopped and started at will), or a
fresh RabbitMQ vhost; nobody else's messages in either, none of the tests' left behind."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from .servers import free_port
from .waiting import wait_until


class RedisServer:
    """A redis-server of the tests' own, without persistence: what it holds when it stops
    is lost, as on a broker restarted without persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.directory)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, f"redis-server on port {self.port} answers", timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}"


@dataclass
class Broker:
    kind: str
    url: str
    down: Callable[[], None]
    up: Callable[[], None]

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The broker stopped for the block, started again after it (even on failure)."""
        self.down()
        try:
            yield
        finally:
            self.up()


@contextmanager
def running_broker(kind: str, directory: Path) -> Iterator[Broker]:
    """A broker of `kind` (redis or rabbitmq) of the tests' own, until the block ends."""
    if kind == "redis":
        server = RedisServer(directory)
        server.start()
        try:
            yield Broker("redis", f"redis://127.0.0.1:{server.port}/0", server.stop, server.start)
        finally:
            server.stop()
        return
    vhost = f"lawful-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield Broker(
            "rabbitmq",
            f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            lambda: rabbitmqctl("stop_app"),
            lambda: rabbitmqctl("start_app"),
        )
    finally:
        rabbitmqctl("delete_vhost", vhost)

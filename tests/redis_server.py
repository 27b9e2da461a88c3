"""A real `redis-server` process on a free loopback port, for tests and benchmarks.

The binary is ``redis-server`` on PATH or the one ``SPAMGUARD_REDIS_SERVER`` names. When
there is none, the Redis tests are skipped with a reason that says how to enable them,
unless ``SPAMGUARD_REQUIRE_REDIS=1`` (CI sets it), which makes a missing server an error.
The server keeps nothing on disk and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

__all__ = ["RedisCluster", "RedisServer", "redis_server_binary", "require_redis_server"]

_START_TIMEOUT_S = 10.0


def redis_server_binary() -> str | None:
    """The redis-server to run, if this machine has one."""
    named = os.environ.get("SPAMGUARD_REDIS_SERVER")
    if named:
        return named
    return shutil.which("redis-server")


def require_redis_server() -> str:
    """The binary, or skip (fail when Redis is required) with how to get one."""
    binary = redis_server_binary()
    if binary is not None:
        if shutil.which(binary) is None:
            pytest.fail(f"SPAMGUARD_REDIS_SERVER={binary!r} is not an executable redis-server")
        return binary
    reason = (
        "redis-server not found: install it (Debian/Ubuntu: apt-get install redis-server; "
        "macOS: brew install redis) or set SPAMGUARD_REDIS_SERVER=/path/to/redis-server "
        "to run the Redis store tests"
    )
    if os.environ.get("SPAMGUARD_REQUIRE_REDIS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process that tests can stop and start again on the same port."""

    def __init__(self, binary: str, *extra_args: str) -> None:
        self.binary = binary
        self.extra_args = extra_args
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="spamguard-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING (bounded)."""
        log = Path(self._dir.name) / "redis.log"
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
                "--logfile",
                str(log),
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server exited at start:\n{detail}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {_START_TIMEOUT_S} s")

    def stop(self) -> None:
        """Stop the server (its data is gone: nothing is saved)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=_START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port, empty."""
        self.stop()
        self.start()

    def ping(self) -> bool:
        """Whether the server answers a raw RESP PING now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        self._dir.cleanup()


class RedisCluster:
    """A three-node Redis Cluster (no replicas) on loopback, its slots split evenly."""

    _NODES = 3
    _SLOTS = 16384

    def __init__(self, binary: str) -> None:
        self.nodes = [RedisServer(binary) for _ in range(self._NODES)]
        # Bus ports are chosen, not derived (port + 10000 may be taken or above 65535).
        self.bus_ports = [free_port() for _ in self.nodes]
        for node, bus_port in zip(self.nodes, self.bus_ports, strict=True):
            node.extra_args = (
                "--cluster-enabled", "yes",
                "--cluster-node-timeout", "2000",
                "--cluster-port", str(bus_port),
                "--cluster-config-file", f"nodes-{node.port}.conf",
            )  # fmt: skip

    @property
    def url(self) -> str:
        """The store URL of the cluster (any node is a seed)."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> None:
        """Start the nodes, give each a third of the slots, and wait for the cluster (bounded)."""
        import redis  # the redis extra is part of the test extra

        for node in self.nodes:
            node.start()
        clients = [redis.Redis(port=node.port, decode_responses=True) for node in self.nodes]
        try:
            share = self._SLOTS // self._NODES
            for index, client in enumerate(clients):
                last = self._SLOTS - 1 if index == self._NODES - 1 else (index + 1) * share - 1
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", index * share, last)
            for node, bus_port in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
                clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, bus_port)
            deadline = time.monotonic() + _START_TIMEOUT_S
            while time.monotonic() < deadline:
                states = [client.execute_command("CLUSTER", "INFO") for client in clients]
                if all("cluster_state:ok" in str(state) for state in states):
                    return
                time.sleep(0.05)
            raise RuntimeError(f"the cluster was not ready within {_START_TIMEOUT_S} s")
        finally:
            for client in clients:
                client.close()

    def close(self) -> None:
        """Stop every node and remove their directories."""
        for node in self.nodes:
            node.close()

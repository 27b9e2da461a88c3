"""A `spamguard serve` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.redis_server import free_port

__all__ = ["ServerProcess"]

_START_TIMEOUT_S = 20.0


class ServerProcess:
    """``python -m spamguard serve`` with a rules overlay, until `close`.

    Args:
        secret: The JWT secret, passed in the environment as the server expects.
        rules_yaml: A rules overlay (YAML text), or None for the shipped rules.
        store: A store URL, or None for the server's own memory.
    """

    def __init__(self, secret: str, rules_yaml: str | None = None, store: str | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="spamguard-serve-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "spamguard", "serve", "--port", str(self.port)]
        self.rules_path: Path | None = None
        if rules_yaml is not None:
            self.rules_path = Path(self._dir.name) / "rules.yaml"
            self.rules_path.write_text(rules_yaml, encoding="utf-8")
            command += ["--rules", str(self.rules_path)]
        command += ["--store", store or "memory://"]
        env = {**os.environ, "SPAMGUARD_JWT_SECRET": secret}
        self._log = (Path(self._dir.name) / "server.log").open("w+", encoding="utf-8")
        self._process = subprocess.Popen(command, env=env, stdout=self._log, stderr=self._log)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"spamguard serve exited at start:\n{self.log()}")
            try:
                httpx.get(f"{self.url}/health", timeout=0.5)
                return  # it answers (a 503 too: its store may be down on purpose)
            except httpx.TransportError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError(f"spamguard serve did not answer within {_START_TIMEOUT_S} s")

    def send_signal(self, signum: int) -> None:
        """Send the server process a signal."""
        self._process.send_signal(signum)

    def log(self) -> str:
        """What the server wrote so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def close(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its files."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._log.close()
        self._dir.cleanup()

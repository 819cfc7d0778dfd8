"""A Jupyter server for the tests: loopback only, a random token and port, started and stopped in bounded time."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Server:
    url: str
    token: str

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
        """One REST call (the contents API: ``/api/contents/<path>``), its JSON answer."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read() or b"null")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(root: Path, app: str = "jupyter_server", options: list[str] = (), log: Path | None = None
            ) -> Iterator[Server]:
    """``python -m <app>`` (jupyter_server, or jupyterlab for Lab itself) serving ``root`` with ``options``;
    stopped on exit."""
    token, port = secrets.token_hex(16), free_port()
    # --allow-root: CI's containers run as root, where the server refuses to start without it
    command = [sys.executable, "-m", app, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", *options]
    output = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=root, stdout=output, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                server.call("GET", "/api/status", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start in {STARTUP_SECONDS} s (exit {process.poll()})") from None
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()

"""The emulator in its own process, so server CPU is not charged to the client."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import attrs

_LISTENING = re.compile(r"listening on (\S+) \(token URL (\S+)\)")


@attrs.frozen
class ServerInfo:
    base_url: str
    auth_url: str
    project_id: str = "emulator-project"
    client_id: str = "emulator-client"
    client_secret: str = "emulator-secret"

    def reset(self) -> None:
        """Forget the emulator's stored messages, so every run meets the same server state."""
        request = urllib.request.Request(f"{self.base_url}/_emulator/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stats(self) -> dict[str, Any]:
        """The emulator's counters (``GET /_emulator/stats``)."""
        url = f"{self.base_url}/_emulator/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            stats: dict[str, Any] = json.loads(response.read())
        return stats


@contextlib.contextmanager
def emulator_process(latency_ms: float = 0.0, *extra: str) -> Iterator[ServerInfo]:
    """Run ``python -m conversation_async.testing`` on a free port until the block ends;
    ``extra`` arguments go to its command line (``--fault SendMessage:0.1``...)."""
    command = [
        sys.executable,
        "-m",
        "conversation_async.testing",
        "--port",
        "0",
        "--latency-ms",
        str(latency_ms),
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = _LISTENING.search(line)
        if match is None:
            raise RuntimeError(f"emulator did not start: {line!r}")
        yield ServerInfo(base_url=match.group(1), auth_url=match.group(2))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # freeing a million stored messages, on a busy box
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

"""Peak RSS of a client process streaming N messages through ``send_many``.

Run as a child process (``python -m benchmarks.memory N BASE_URL AUTH_URL [--journal]``)
so each figure is a fresh process's own peak (the emulator, which keeps every message it
accepted, is another process and not counted); it prints one JSON line. With
``--journal`` the messages are a campaign journaled in a fresh SQLite file in a temporary
directory, removed afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._server import ServerInfo
from .throughput import bulk_requests, client_for


async def stream(
    server: ServerInfo, messages: int, journal: str | os.PathLike[str] | None = None
) -> int:
    async with client_for(server) as client:
        summary = await client.messages.send_many(
            bulk_requests(messages), concurrency=64, journal=journal
        ).run()
    return summary.by_outcome.get("sent", 0)


def peak_rss_mb(server: ServerInfo, messages: int, *, journal: bool = False) -> dict[str, float]:
    """Run a fresh child process for ``messages`` and return its report: ``peak_rss_mb``,
    ``sent``, ``seconds`` and ``cpu_seconds`` (the send_many run, wall and the client's CPU,
    all threads), and with ``journal`` also ``journal_mb``."""
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "benchmarks.memory",
            str(messages),
            server.base_url,
            server.auth_url,
            *(["--journal"] if journal else []),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if report["sent"] != messages:
        raise RuntimeError(f"the memory child sent {report['sent']} of {messages} messages")
    return report


def main() -> None:
    messages, base_url, auth_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = ServerInfo(base_url=base_url, auth_url=auth_url)
    report: dict[str, float] = {"messages": messages}
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as directory:
        journal = Path(directory) / "campaign.sqlite" if "--journal" in sys.argv[4:] else None
        started, cpu = time.perf_counter(), time.process_time()
        report["sent"] = asyncio.run(stream(server, messages, journal))
        report["seconds"] = time.perf_counter() - started
        report["cpu_seconds"] = time.process_time() - cpu
        if journal is not None:
            report["journal_mb"] = journal.stat().st_size / 2**20
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report))


if __name__ == "__main__":
    main()

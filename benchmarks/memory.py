"""Peak RSS of a client process streaming N messages through ``send_many``.

Run as a child process (``python -m benchmarks.memory N BASE_URL AUTH_URL``) so each figure
is a fresh process's own peak; it prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys

from ._server import ServerInfo
from .throughput import bulk_requests, client_for


async def stream(server: ServerInfo, messages: int) -> int:
    async with client_for(server) as client:
        summary = await client.messages.send_many(bulk_requests(messages), concurrency=64).run()
    return summary.by_outcome.get("sent", 0)


def peak_rss_mb(server: ServerInfo, messages: int) -> dict[str, float]:
    """Run a fresh child process for ``messages`` and return its report."""
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "benchmarks.memory",
            str(messages),
            server.base_url,
            server.auth_url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main() -> None:
    messages, base_url, auth_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sent = asyncio.run(stream(ServerInfo(base_url=base_url, auth_url=auth_url), messages))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"messages": messages, "sent": sent, "peak_rss_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main()

"""What the OpenTelemetry hook costs when no tracer provider is set.

``send`` at concurrency 64 against a 0 ms emulator, twice per round in a rotating order on
the same emulator process: with the hook as shipped (``opentelemetry-api`` importable, no
provider: the hook answers None once per call) and with the hook removed (what a client
without opentelemetry runs). The ratio hooked/removed is the cost; 1.00 is none.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from ._server import ServerInfo, emulator_process
from .throughput import MESSAGE, RECIPIENT, Run, _drive, client_for

CONCURRENCY = 64


async def send(server: ServerInfo, requests: int, *, hooked: bool) -> Run:
    """``messages.send`` ``requests`` times, with or without the tracing hook."""
    async with client_for(server) as client:
        if not hooked:
            client._transport._observe = None

        async def one() -> None:
            await client.messages.send(app_id="bench-app", recipient=RECIPIENT, message=MESSAGE)

        await one()
        return await _drive(one, requests, CONCURRENCY)


def run(requests: int, rounds: int) -> dict[str, Any]:
    """Medians over ``rounds`` of sends per second and CPU per 1000, and their ratios."""
    runs: dict[bool, list[Run]] = {True: [], False: []}
    order = [True, False]
    with emulator_process(0.0) as server:
        for _ in range(rounds):
            for hooked in order:
                server.reset()
                runs[hooked].append(asyncio.run(send(server, requests, hooked=hooked)))
            order.reverse()
    on, off = runs[True], runs[False]
    return {
        "concurrency": CONCURRENCY,
        "requests": requests,
        "rounds": rounds,
        "hooked_per_s": round(statistics.median(r.per_second for r in on), 1),
        "removed_per_s": round(statistics.median(r.per_second for r in off), 1),
        "ratio": round(
            statistics.median(a.per_second / b.per_second for a, b in zip(on, off, strict=True)),
            3,
        ),
        "cpu_ratio": round(
            statistics.median(
                a.cpu_per_1000 / b.cpu_per_1000 for a, b in zip(on, off, strict=True)
            ),
            3,
        ),
    }


def markdown(row: dict[str, Any]) -> list[str]:
    """One row of the measures table."""
    return [
        f"| send, c={row['concurrency']}, 0 ms: tracing hook without a provider / hook "
        f"removed ({row['hooked_per_s']:,.0f} / {row['removed_per_s']:,.0f} per s; "
        f"CPU {row['cpu_ratio']:.2f}) | {row['ratio']:.2f} | ≈ 1 (noise) |"
    ]

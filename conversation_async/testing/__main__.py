"""Run the emulator standalone, and drive a running one.

``python -m conversation_async.testing [serve] --port 9000`` (also ``python -m
conversation_async emulator [serve] ...``) serves until SIGINT or SIGTERM, then shuts down
cleanly (exit status 0). ``--seed``, ``--rate-limit`` and ``--fault ROUTE:RATE``
(repeatable, every fault mode equally likely) let benchmarks run a faulty emulator in
another process; ``--manual-clock [START]`` schedules batches on a clock that moves only
through the control API (``clock --advance``).

Control API: besides the Sinch API, the emulator serves JSON endpoints under
``/_emulator/`` (no credentials) so that a test or a shell in another process can drive it,
each doing what one :class:`Emulator` method does in-process:

=========================================  =================================================
``GET  /_emulator/stats``                  counters (``Emulator.stats()``)
``POST /_emulator/reset``                  ``reset()``: forget stored state
``POST /_emulator/inbound``                ``inbound_message``: ``{app_id, channel,
                                           identity, text | contact_message}``; the app's
                                           webhooks get a signed MESSAGE_INBOUND; answers
                                           ``{"message": ConversationMessage}``
``GET  /_emulator/webhooks``               ``{"webhooks": [...]}`` of every app
``POST /_emulator/webhooks``               ``add_webhook``: ``{app_id, target, triggers,
                                           secret?}``, no app needed; answers the webhook
``GET  /_emulator/ledger``                 accepted sends, oldest first: ``{"entries":
                                           [{message_id, correlation_id, request,
                                           accepted_time}], "total", "next_offset"}``;
                                           ``?offset=N&limit=M`` for a page
``DELETE /_emulator/ledger``               ``clear_ledger()``
``GET  /_emulator/faults``                 ``{"plans": {route: {rate, modes, slow_seconds,
                                           retry_after}}}``
``POST /_emulator/faults``                 ``inject_faults``: ``{route, rate, modes?:
                                           {MODE: weight}, slow_seconds?, retry_after?}``
``DELETE /_emulator/faults[?route=R]``     ``clear_faults``: one route's plan, or all
``GET | PUT /_emulator/rate-limit``        ``{"rate_limit": RPS | null}`` (null: no limit)
``GET  /_emulator/batch-settings``         ``batch_settings``: every ``BatchSettings`` field
                                           by name (durations in seconds)
``PATCH /_emulator/batch-settings``        ``{name: value, ...}``: the named settings
                                           change, all or none; answers every setting
``DELETE /_emulator/batch-settings``       every setting back to its default
``GET  /_emulator/clock``                  ``{"now": RFC 3339, "manual": bool}``
``POST /_emulator/clock``                  ``{"advance": seconds}`` or ``{"to": time}``:
                                           move a manual clock (``--manual-clock``);
                                           answers once the batches it made due have left
                                           SCHEDULED
=========================================  =================================================

Bad input is a 400 in Sinch's error envelope whose ``message`` says what is wrong (field
violations name the fields). Webhooks are deleted through the API's own DeleteWebhook.

The same from a shell, against ``--url`` (default ``http://127.0.0.1:9000``):
``inject-inbound --app-id APP --channel WHATSAPP --identity +46700000001 --text hi``,
``ledger [--offset N] [--limit M] [--clear]``, ``webhooks [--add TARGET --app-id APP
--trigger MESSAGE_INBOUND [--secret S]]``, ``faults [--route R --rate 0.2 [--mode
STATUS_503[=W]]... | --clear [--route R]]``, ``rate-limit [800 | none]``,
``batch-settings [NAME=VALUE ... | --defaults]``, ``clock [--advance 5m | --to TIME]``;
each takes ``--json`` to print the answer as JSON. Exit status: 0, 1 when the emulator cannot be
reached, 2 for bad input (refused by the emulator, or by the command line).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from ._batch_rules import time_json
from ._clock import ManualClock
from ._control_cli import COMMANDS
from ._control_cli import main as control_main
from ._params import parse_time
from ._plans import FaultPlan
from ._server import ROUTE_NAMES, Emulator


def _fault(value: str) -> tuple[str, float]:
    """``ROUTE:RATE`` -> ``(route, rate)``, checked."""
    route, _, rate_text = value.rpartition(":")
    if route not in ROUTE_NAMES:
        raise argparse.ArgumentTypeError(f"unknown route {route!r} in {value!r}")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"rate must be a number within 0..1 in {value!r}")
    return route, rate


def _rate(value: str) -> float:
    """A rate limit: a number above 0."""
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {value!r}")
    return rate


_MANUAL_START: Final = "2030-01-01T00:00:00Z"


def _moment(value: str) -> datetime:
    """An RFC 3339 time with a time zone."""
    moment = parse_time(value)
    if moment is None:
        raise argparse.ArgumentTypeError(f"expected an RFC 3339 time such as {_MANUAL_START}")
    return moment


PROG: Final = "python -m conversation_async.testing"


class _ProcessEmulator(Emulator):
    """The emulator as a process of its own."""

    def freeze_stored(self) -> None:
        """After each batch, take what is stored out of the cyclic collector's sight (see
        ``BatchRuntime.freeze_stored``): nothing else in the process needs collecting."""
        self._batch.freeze_stored = True


def parse_args(argv: Sequence[str] | None = None, prog: str = PROG) -> argparse.Namespace:
    """The command line of the standalone emulator."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the Sinch Conversation API emulator.",
        epilog=f"drive a running emulator:\n  {prog} {{{' | '.join(COMMANDS)}}} --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=9000, help="port, 0 = any free port (default %(default)s)"
    )
    parser.add_argument("--project-id", default="emulator-project")
    parser.add_argument("--client-id", default="emulator-client")
    parser.add_argument("--client-secret", default="emulator-secret")
    parser.add_argument("--token-expires-in", type=int, default=3600, metavar="SECONDS")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help="added to every API response"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of fault and delivery-failure draws"
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=None,
        metavar="RPS",
        help="API requests per second before 429 (default: unlimited)",
    )
    parser.add_argument(
        "--manual-clock",
        nargs="?",
        const=_MANUAL_START,
        default=None,
        type=_moment,
        metavar="START",
        help="schedule batches on a clock that moves only when told (the clock "
        "sub-command); START is an RFC 3339 time (default %(const)s)",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="ROUTE:RATE",
        help="fail a RATE share (0..1) of ROUTE's requests, all fault modes alike; repeatable",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the emulator, announce where it is, and wait for SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with _ProcessEmulator(
        host=args.host,
        port=args.port,
        project_id=args.project_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_expires_in=args.token_expires_in,
        latency=args.latency_ms / 1000.0,
        seed=args.seed,
        rate_limit=args.rate_limit,
        clock=None if args.manual_clock is None else ManualClock(args.manual_clock),
    ) as emulator:
        emulator.freeze_stored()
        for route, rate in args.fault:
            emulator.inject_faults(route, FaultPlan(rate))
        print(
            f"Conversation emulator listening on {emulator.base_url} "
            f"(token URL {emulator.auth_url})",
            flush=True,
        )
        print(
            f"project_id={emulator.project_id} client_id={emulator.client_id} "
            f"client_secret={emulator.client_secret}",
            flush=True,
        )
        manual = isinstance(emulator.clock, ManualClock)
        clock = f" (manual clock at {time_json(emulator.clock.now())})" if manual else ""
        print(f"Batch API (beta) at {emulator.batch_url}{clock}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Entry point: serve (no sub-command, or ``serve``), or run a control sub-command;
    returns the process exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in COMMANDS:
        return control_main(arguments, prog)
    if arguments and arguments[0] == "serve":
        arguments = arguments[1:]
    args = parse_args(arguments, prog)
    try:
        asyncio.run(serve(args))
    except OSError as error:  # e.g. the port is taken
        print(f"cannot start the emulator on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

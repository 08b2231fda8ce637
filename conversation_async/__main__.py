"""Command line: ``conversation-async demo | send | send-bulk | emulator``, or ``--version``.

The same as ``python -m conversation_async ...``; ``conversation-async`` is the console
script an install puts on the ``PATH``.

``emulator`` serves the emulator, or with a sub-command (``inject-inbound``, ``ledger``,
``webhooks``, ``faults``, ``rate-limit``) drives a running one.

``send`` and ``send-bulk`` need either all ``SINCH_*`` credentials or ``--emulator``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ._version import __version__

SCRIPT = "conversation-async"

_EPILOG = """exit status: 0 success; 1 some sends failed or may not have been sent; 2 usage,
credentials or input; 3 (send-bulk) stopped on a fatal error such as refused credentials;
130 / 143 interrupted by SIGINT / SIGTERM.

examples:
  %(prog)s demo
  %(prog)s send --emulator --app-id APP --channel SMS --identity +46700000001 --text hi
  %(prog)s send-bulk --csv recipients.csv --app-id APP --text "Hi {name}" --results out.csv
  %(prog)s send-bulk --csv recipients.csv --app-id APP --text "Hi {name}" --resume
  %(prog)s emulator --port 9000
  %(prog)s emulator inject-inbound --app-id APP --channel WHATSAPP --identity +46700000001 --text hi
"""

_SEND_EPILOG = """examples:
  %(prog)s --emulator --app-id APP --channel SMS --identity +46700000001 --text hi
  %(prog)s --app-id APP --channel WHATSAPP --identity +46700000001 --text hi --json

exit status: 0 sent; 1 the API refused it or it may not have been sent; 2 usage or
credentials (nothing was sent)."""

_BULK_EPILOG = """examples:
  %(prog)s --emulator --csv recipients.csv --text "Hi {name}"
  %(prog)s --csv recipients.csv --app-id APP --template-id TPL --language-code en
  %(prog)s --csv recipients.csv --app-id APP --text "Hi {name}" --results out.csv --json
  %(prog)s --csv recipients.csv --app-id APP --text "Hi {name}" --resume

exit status: 0 every row sent; 1 some rows failed, are ambiguous or not attempted (resume
to retry them); 2 usage, credentials, CSV or journal problem (nothing was sent); 3 stopped
on a fatal error (refused credentials, 401/403, unknown app); 130 / 143 interrupted by
SIGINT / SIGTERM (the journal keeps the campaign: resume it)."""


def main(argv: list[str] | None = None) -> int:
    # The console script's name when run as it, else how ``python -m`` runs this module.
    run_as_script = Path(sys.argv[0]).stem == SCRIPT
    parser = argparse.ArgumentParser(
        prog=SCRIPT if run_as_script else "python -m conversation_async",
        description="Sinch Conversation API from the command line, and its emulator.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{SCRIPT} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo",
        help="send one message of each content type and list them back "
        "(embedded emulator unless SINCH_PROJECT_ID/CLIENT_ID/CLIENT_SECRET are set)",
    )
    send = commands.add_parser(
        "send",
        help="send one text message and print its message id "
        "(real API with SINCH_* credentials, or --emulator)",
        epilog=_SEND_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from ._send_cli import add_arguments as add_send_arguments

    add_send_arguments(send)
    bulk = commands.add_parser(
        "send-bulk",
        help="send one message per CSV row (channel,identity,...) with a progress bar "
        "(real API with SINCH_* credentials, or --emulator)",
        epilog=_BULK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from ._bulk_cli import add_arguments

    add_arguments(bulk)
    commands.add_parser(
        "emulator",
        help="run the emulator standalone (same options as python -m conversation_async.testing),"
        " or drive a running one: inject-inbound, ledger, webhooks, faults, rate-limit",
        add_help=False,
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        from .testing.__main__ import main as emulator_main

        return emulator_main(rest, prog=f"{parser.prog} emulator")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "send":
        from ._send_cli import run as run_send

        return asyncio.run(run_send(args))
    if args.command == "send-bulk":
        from ._bulk_cli import run

        args.argv = list(sys.argv[1:] if argv is None else argv)
        try:
            return asyncio.run(run(args))
        except KeyboardInterrupt:  # before or after the send's own signal handling
            return 130
    from ._demo import run_demo

    return asyncio.run(run_demo())


if __name__ == "__main__":
    sys.exit(main())

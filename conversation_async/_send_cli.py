"""``python -m conversation_async send``: one text message, printing its message id.

Exit status 0 when the API accepted the message, 1 when it answered an error (or none came
back), 2 on a usage problem (missing credentials without ``--emulator``, say) before sending.
"""

from __future__ import annotations

import argparse
import json
import sys

from ._cli_target import add_emulator_argument, choose_target, connect
from ._errors import ConversationError
from ._serde import format_timestamp
from .models import IdentifiedRecipient, TextMessage

__all__ = ["add_arguments", "run"]

EMULATOR_APP_ID = "send-demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app-id", help="sending app (required with the real API; default: an emulator app)"
    )
    parser.add_argument("--channel", required=True, type=str.upper, help="SMS, WHATSAPP, ...")
    parser.add_argument("--identity", required=True, help="the recipient on that channel")
    parser.add_argument("--text", required=True, help="the message text")
    parser.add_argument(
        "--json", action="store_true", help="print {message_id, accepted_time} as JSON"
    )
    add_emulator_argument(parser)


async def run(args: argparse.Namespace) -> int:
    """The send command; see the module docstring for its exit status."""
    target = choose_target("send", emulator=args.emulator)
    if isinstance(target, str):
        print(target, file=sys.stderr)
        return 2
    if target.config is not None and not args.app_id:
        print("send: --app-id is required with the real API", file=sys.stderr)
        return 2
    app_id = args.app_id or EMULATOR_APP_ID
    async with connect(target) as (client, where):
        print(
            f"sending to {args.channel} {args.identity} via {where} (app {app_id})", file=sys.stderr
        )
        try:
            response = await client.messages.send(
                app_id=app_id,
                recipient=IdentifiedRecipient.of((args.channel, args.identity)),
                message=TextMessage(text=args.text),
            )
        except ConversationError as exc:
            print(f"send: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"send: {exc}", file=sys.stderr)
            return 2
    if args.json:
        accepted = response.accepted_time
        print(
            json.dumps(
                {
                    "message_id": response.message_id,
                    "accepted_time": format_timestamp(accepted) if accepted else None,
                }
            )
        )
    else:
        print(response.message_id)
    return 0

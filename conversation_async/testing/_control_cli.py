"""The emulator's control sub-commands: drive a running emulator from a shell.

``inject-inbound``, ``ledger``, ``webhooks``, ``faults``, ``rate-limit``, ``batch-settings``
and ``clock`` each turn their arguments into one request to the control API
(:func:`control_call`) and its answer into text (:func:`render`), both pure;
:func:`call` is the only I/O, a blocking ``urllib`` request: a one-shot command needs no
event loop or connection pool.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from .. import _jsoncodec
from ._control import (
    BATCH_SETTINGS_PATH,
    CLOCK_PATH,
    FAULTS_PATH,
    INBOUND_PATH,
    LEDGER_PATH,
    RATE_LIMIT_PATH,
    WEBHOOKS_PATH,
)

DEFAULT_URL: Final = "http://127.0.0.1:9000"
"""Where ``python -m conversation_async emulator`` listens by default."""
COMMANDS: Final = (
    "inject-inbound",
    "ledger",
    "webhooks",
    "faults",
    "rate-limit",
    "batch-settings",
    "clock",
)

EXIT_UNREACHABLE: Final = 1
"""The emulator could not be reached, or answered an error other than bad input."""
EXIT_BAD_INPUT: Final = 2
"""Bad arguments, or the emulator refused the request as bad input (400)."""


@dataclass(frozen=True, slots=True)
class ControlCall:
    """One control API request: method, path (with its query) and JSON body."""

    method: str
    path: str
    body: dict[str, Any] | None = None


class ControlFailure(Exception):
    """The request failed; ``status`` is the exit status to end with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# -- arguments -------------------------------------------------------------------------


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not _jsoncodec.is_object(value):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _mode(text: str) -> tuple[str, float]:
    """``MODE`` or ``MODE=WEIGHT`` -> ``(mode, weight)``."""
    name, _, weight = text.partition("=")
    try:
        value = float(weight) if weight else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight must be a number in {text!r}") from None
    return name, value


def _rate_limit(text: str) -> float | None:
    """A rate limit above 0, or ``none`` for no limit."""
    if text.lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0 or none, got {text!r}")
    return value


def _setting(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` -> ``(name, value)``: the value read as JSON when it is JSON
    (``false``, ``0.5``, ``null``, ``["camel"]``), else as the string written."""
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name.strip(), value


_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> float:
    """Seconds, or a number with a unit: ``90``, ``90s``, ``5m``, ``2h``, ``7d``."""
    unit = _UNITS.get(text[-1:].lower())
    try:
        value = float(text[:-1] if unit else text) * (unit or 1)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a duration such as 300, 5m or 2h, got {text!r}")
    return value


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of the control sub-commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=DEFAULT_URL, help="the running emulator (default %(default)s)"
    )
    common.add_argument("--json", action="store_true", help="print the JSON answer")
    parser = argparse.ArgumentParser(
        prog=prog, description="Drive a running emulator through its control API."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inbound = commands.add_parser(
        "inject-inbound",
        parents=[common],
        help="a contact writes in: the app's webhooks get a signed MESSAGE_INBOUND",
    )
    inbound.add_argument("--app-id", required=True)
    inbound.add_argument("--channel", required=True, help="e.g. WHATSAPP, SMS")
    inbound.add_argument("--identity", required=True, help="the contact's number or ID")
    content = inbound.add_mutually_exclusive_group(required=True)
    content.add_argument("--text")
    content.add_argument(
        "--contact-message",
        type=_json_object,
        metavar="JSON",
        help='a full ContactMessage, e.g. \'{"media_message": {"url": "https://..."}}\'',
    )

    ledger = commands.add_parser(
        "ledger", parents=[common], help="the sends the emulator accepted, oldest first"
    )
    ledger.add_argument("--offset", type=int, default=None, help="skip this many entries")
    ledger.add_argument("--limit", type=int, default=None, help="at most this many")
    ledger.add_argument("--clear", action="store_true", help="empty the ledger")

    webhooks = commands.add_parser(
        "webhooks", parents=[common], help="list every app's webhooks, or --add one"
    )
    webhooks.add_argument("--add", metavar="TARGET", help="register a webhook for TARGET")
    webhooks.add_argument("--app-id", help="the app of the webhook to add")
    webhooks.add_argument(
        "--trigger",
        action="append",
        default=[],
        help="a trigger of the webhook to add (repeatable), e.g. MESSAGE_INBOUND",
    )
    webhooks.add_argument("--secret", help="sign the webhook's callbacks with this secret")

    faults = commands.add_parser(
        "faults", parents=[common], help="list, set (--route --rate) or --clear fault plans"
    )
    faults.add_argument("--route", help="a route name such as SendMessage")
    faults.add_argument("--rate", type=float, help="share (0..1) of the route's requests to fail")
    faults.add_argument(
        "--mode",
        type=_mode,
        action="append",
        default=[],
        metavar="MODE[=WEIGHT]",
        help="a fault mode such as STATUS_503 (repeatable; default: every mode alike)",
    )
    faults.add_argument("--slow-seconds", type=float, help="how late a SLOW answer is")
    faults.add_argument("--retry-after", help="Retry-After of STATUS_429_RETRY_AFTER")
    faults.add_argument(
        "--clear", action="store_true", help="drop the plan of --route, or every plan"
    )

    limit = commands.add_parser(
        "rate-limit", parents=[common], help="show or set the project's requests per second"
    )
    limit.add_argument(
        "value", nargs="?", type=_rate_limit, default=..., metavar="RPS|none", help="new limit"
    )

    settings = commands.add_parser(
        "batch-settings",
        parents=[common],
        help="show or change the Batch API settings (the open questions of the catalog)",
    )
    settings.add_argument(
        "change",
        nargs="*",
        type=_setting,
        metavar="NAME=VALUE",
        help="a setting to change, e.g. missing_parameter=reject processing_delay=0.5 "
        "(VALUE is JSON when it parses as JSON, else a string; durations in seconds)",
    )
    settings.add_argument(
        "--defaults", action="store_true", help="put every setting back to its default"
    )

    clock = commands.add_parser(
        "clock",
        parents=[common],
        help="show the batch scheduling clock, or move a manual one (--manual-clock)",
    )
    move = clock.add_mutually_exclusive_group()
    move.add_argument(
        "--advance", type=_duration, metavar="DURATION", help="move forward, e.g. 300, 5m, 2h"
    )
    move.add_argument("--to", metavar="TIME", help="jump to an RFC 3339 time (not earlier)")
    return parser


def control_call(args: argparse.Namespace) -> ControlCall:
    """The request a parsed command line stands for; ``ValueError`` for an incoherent one."""
    command = args.command
    if command == "inject-inbound":
        body: dict[str, Any] = {
            "app_id": args.app_id,
            "channel": args.channel,
            "identity": args.identity,
        }
        if args.text is not None:
            body["text"] = args.text
        else:
            body["contact_message"] = args.contact_message
        return ControlCall("POST", INBOUND_PATH, body)
    if command == "ledger":
        if args.clear:
            return ControlCall("DELETE", LEDGER_PATH)
        query = {name: getattr(args, name) for name in ("offset", "limit")}
        return ControlCall("GET", _with_query(LEDGER_PATH, query))
    if command == "webhooks":
        if args.add is None:
            if args.app_id or args.trigger or args.secret is not None:
                raise ValueError("--app-id, --trigger and --secret go with --add TARGET")
            return ControlCall("GET", WEBHOOKS_PATH)
        if not args.app_id or not args.trigger:
            raise ValueError("--add needs --app-id and at least one --trigger")
        body = {"app_id": args.app_id, "target": args.add, "triggers": args.trigger}
        if args.secret is not None:
            body["secret"] = args.secret
        return ControlCall("POST", WEBHOOKS_PATH, body)
    if command == "faults":
        return _faults_call(args)
    if command == "batch-settings":
        if args.defaults:
            if args.change:
                raise ValueError("--defaults takes no NAME=VALUE")
            return ControlCall("DELETE", BATCH_SETTINGS_PATH)
        if not args.change:
            return ControlCall("GET", BATCH_SETTINGS_PATH)
        names = [name for name, _ in args.change]
        if len(set(names)) != len(names):
            raise ValueError("give each setting once")
        return ControlCall("PATCH", BATCH_SETTINGS_PATH, dict(args.change))
    if command == "clock":
        if args.advance is not None:
            return ControlCall("POST", CLOCK_PATH, {"advance": args.advance})
        if args.to is not None:
            return ControlCall("POST", CLOCK_PATH, {"to": args.to})
        return ControlCall("GET", CLOCK_PATH)
    if args.value is ...:
        return ControlCall("GET", RATE_LIMIT_PATH)
    return ControlCall("PUT", RATE_LIMIT_PATH, {"rate_limit": args.value})


def _faults_call(args: argparse.Namespace) -> ControlCall:
    setting = [args.rate, args.slow_seconds, args.retry_after]
    if args.clear:
        if args.mode or any(value is not None for value in setting):
            raise ValueError("--clear takes only --route")
        return ControlCall("DELETE", _with_query(FAULTS_PATH, {"route": args.route}))
    if args.rate is None:
        if args.route or args.mode or any(value is not None for value in setting):
            raise ValueError("setting a fault plan needs --route and --rate")
        return ControlCall("GET", FAULTS_PATH)
    if not args.route:
        raise ValueError("setting a fault plan needs --route and --rate")
    body: dict[str, Any] = {"route": args.route, "rate": args.rate}
    if args.mode:
        body["modes"] = dict(args.mode)
    if args.slow_seconds is not None:
        body["slow_seconds"] = args.slow_seconds
    if args.retry_after is not None:
        body["retry_after"] = args.retry_after
    return ControlCall("POST", FAULTS_PATH, body)


def _with_query(path: str, query: dict[str, Any]) -> str:
    given = {name: value for name, value in query.items() if value is not None}
    return f"{path}?{urllib.parse.urlencode(given)}" if given else path


# -- output ----------------------------------------------------------------------------


def _summary(message: object) -> str:
    """A short rendering of an AppMessage: its text, or the kind of content."""
    if not _jsoncodec.is_object(message) or not message:
        return "?"
    content: dict[str, Any] = message.get("text_message") or {}
    text = content.get("text")
    if isinstance(text, str):
        return repr(text if len(text) <= 40 else text[:39] + "…")
    return next((str(key) for key in message if key.endswith("_message")), str(next(iter(message))))


def _recipient(request: dict[str, Any]) -> str:
    recipient: dict[str, Any] = request.get("recipient") or {}
    if recipient.get("contact_id"):
        return f"contact {recipient['contact_id']}"
    identified_by: dict[str, Any] = recipient.get("identified_by") or {}
    identities: list[dict[str, Any]] = identified_by.get("channel_identities") or [{}]
    first = identities[0]
    return f"{first.get('channel', '?')} {first.get('identity', '?')}"


def render(command: str, answer: Any) -> str:
    """What a command prints for the control API's ``answer``."""
    if command == "inject-inbound":
        message = answer["message"]
        identity = message["channel_identity"]
        return (
            f"message {message['id']} from {identity['channel']} {identity['identity']} "
            f"(contact {message['contact_id']}, conversation {message['conversation_id']})"
        )
    if command == "ledger":
        return _render_ledger(answer)
    if command == "webhooks":
        if "webhooks" not in answer:  # --add answers the new webhook
            answer = {"webhooks": [answer]}
        lines: list[str] = [
            f"{hook['id']}  app {hook['app_id']}  {hook['target']}  "
            f"{','.join(hook['triggers']) or '(no triggers)'}"
            + ("  signed" if hook.get("secret") else "")
            for hook in answer["webhooks"]
        ]
        return "\n".join(lines) or "no webhooks"
    if command == "faults":
        lines = []
        for route, plan in answer["plans"].items():
            modes = plan["modes"]
            shown = ", ".join(f"{m}={w:g}" for m, w in modes.items()) if modes else "all modes"
            lines.append(f"{route}  rate {plan['rate']:g}  {shown}")
        return "\n".join(lines) or "no fault plans"
    if command == "batch-settings":
        width = max(map(len, answer), default=0)
        return "\n".join(f"{name:<{width}}  {json.dumps(value)}" for name, value in answer.items())
    if command == "clock":
        return f"clock: {answer['now']} ({'manual' if answer['manual'] else 'system'})"
    value = answer["rate_limit"]
    return "rate limit: none" if value is None else f"rate limit: {value:g} requests/s"


def _render_ledger(answer: dict[str, Any]) -> str:
    if "entries" not in answer:  # --clear
        return "ledger cleared"
    lines = [
        f"{entry['accepted_time']}  {entry['message_id']}  {entry['correlation_id'] or '-'}  "
        f"{_recipient(entry['request'])}  {_summary(entry['request'].get('message'))}"
        for entry in answer["entries"]
    ]
    if answer["next_offset"] is not None:
        lines.append(f"... {answer['total']} in all; next: --offset {answer['next_offset']}")
    return "\n".join(lines) or "no accepted sends"


# -- I/O -------------------------------------------------------------------------------


def call(url: str, request: ControlCall, timeout: float = 10.0) -> Any:
    """Send ``request`` to the emulator at ``url``; its decoded JSON answer.

    Raises :class:`ControlFailure`: the emulator's own message for a refused request,
    or why it could not be reached.
    """
    data = None if request.body is None else json.dumps(request.body).encode()
    http_request = urllib.request.Request(  # noqa: S310 - the URL is the user's emulator
        url.rstrip("/") + request.path,
        data=data,
        method=request.method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            message = json.loads(raw)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = raw.decode(errors="replace").strip() or error.reason
        status = EXIT_BAD_INPUT if error.code == 400 else EXIT_UNREACHABLE
        raise ControlFailure(f"the emulator answered {error.code}: {message}", status) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ControlFailure(
            f"cannot reach the emulator at {url}: {reason}", EXIT_UNREACHABLE
        ) from None


def main(argv: Sequence[str], prog: str) -> int:
    """Run one control sub-command; returns the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        request = control_call(args)
    except ValueError as error:
        print(f"{prog} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        answer = call(args.url, request)
    except ControlFailure as failure:
        print(f"{prog} {args.command}: {failure}", file=sys.stderr)
        return failure.status
    print(json.dumps(answer, indent=2) if args.json else render(args.command, answer))
    return 0

"""The control API's pure half: checking what a tool sends to ``/_emulator/...`` and
rendering what the emulator answers, with no I/O (the endpoints are listed in
``conversation_async.testing.__main__``).

The control API is how a process other than the test drives a standalone emulator; each
endpoint is a thin wrapper of one :class:`Emulator` method, so in-process and remote use
behave alike. Bad input raises :class:`ControlError` (a ``ValueError``) naming the fields,
which the server answers as a 400 INVALID_ARGUMENT envelope.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .. import _jsoncodec
from ._ledger import LedgerEntry
from ._plans import FaultMode, FaultPlan
from ._store import format_time

CONTROL_PREFIX: Final = "/_emulator"
STATS_PATH: Final = CONTROL_PREFIX + "/stats"
"""``GET``: the emulator's counters."""
RESET_PATH: Final = CONTROL_PREFIX + "/reset"
"""``POST``: forget stored state (tokens, settings and the ledger stay)."""
INBOUND_PATH: Final = CONTROL_PREFIX + "/inbound"
"""``POST``: a contact writes in (``Emulator.inbound_message``)."""
WEBHOOKS_PATH: Final = CONTROL_PREFIX + "/webhooks"
"""``GET``: every webhook of every app; ``POST``: ``Emulator.add_webhook``."""
LEDGER_PATH: Final = CONTROL_PREFIX + "/ledger"
"""``GET``: the accepted sends, all or a page; ``DELETE``: empty it."""
FAULTS_PATH: Final = CONTROL_PREFIX + "/faults"
"""``GET``: the fault plans; ``POST``: set one route's plan; ``DELETE``: clear plans."""
RATE_LIMIT_PATH: Final = CONTROL_PREFIX + "/rate-limit"
"""``GET`` / ``PUT``: the project's rate limit (``null`` = unlimited)."""
BATCH_SETTINGS_PATH: Final = CONTROL_PREFIX + "/batch-settings"
"""``GET``: the Batch API settings; ``PATCH``: change some; ``DELETE``: back to defaults."""
CLOCK_PATH: Final = CONTROL_PREFIX + "/clock"
"""``GET``: the batch scheduling clock; ``POST``: move a manual clock forward."""

Problems = list[tuple[str, str]]


class ControlError(ValueError):
    """Bad input to a control endpoint; ``problems`` are ``(field, description)`` pairs."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in problems))
        self.problems = problems


def _unknown_keys(body: Mapping[str, Any], allowed: Sequence[str]) -> Problems:
    """One problem per key of ``body`` not in ``allowed`` (catches typos such as ``txt``)."""
    return [
        (str(key), f"unknown field; expected {', '.join(allowed)}")
        for key in body
        if key not in allowed
    ]


def is_number(value: object) -> bool:
    """An int or a float, not a bool (JSON's true is not 1 here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """A checked ``POST /_emulator/inbound`` body: who writes to which app, and what."""

    app_id: str
    channel: str
    identity: str
    text: str | None = None
    contact_message: dict[str, Any] | None = None


_INBOUND_KEYS: Final = ("app_id", "channel", "identity", "text", "contact_message")


def parse_inbound(body: Mapping[str, Any]) -> InboundRequest:
    """``{app_id, channel, identity}`` plus exactly one of ``text`` (a string) or
    ``contact_message`` (a ContactMessage object)."""
    problems = _unknown_keys(body, _INBOUND_KEYS)
    for name in ("app_id", "channel", "identity"):
        if not isinstance(body.get(name), str) or not body[name]:
            problems.append((name, "required, a non-empty string"))
    text, message = body.get("text"), body.get("contact_message")
    if (text is None) == (message is None):
        problems.append(("text", "give exactly one of text or contact_message"))
    elif text is not None and not isinstance(text, str):
        problems.append(("text", "must be a string"))
    elif message is not None and not _jsoncodec.is_object(message):
        problems.append(("contact_message", "must be a ContactMessage object"))
    if problems:
        raise ControlError(problems)
    return InboundRequest(body["app_id"], body["channel"], body["identity"], text, message)


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A checked ``POST /_emulator/webhooks`` body."""

    app_id: str
    target: str
    triggers: list[str]
    secret: str | None = None


_WEBHOOK_KEYS: Final = ("app_id", "target", "triggers", "secret")


def parse_webhook(body: Mapping[str, Any]) -> WebhookRequest:
    """``{app_id, target, triggers: [...], secret?}``; the trigger names and the target are
    checked by ``Emulator.add_webhook``."""
    problems = _unknown_keys(body, _WEBHOOK_KEYS)
    for name in ("app_id", "target"):
        if not isinstance(body.get(name), str) or not body[name]:
            problems.append((name, "required, a non-empty string"))
    triggers = body.get("triggers")
    if not _jsoncodec.is_array(triggers) or not all(isinstance(t, str) for t in triggers):
        problems.append(("triggers", "required, a list of webhook trigger names"))
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        problems.append(("secret", "must be a string"))
    if problems:
        raise ControlError(problems)
    return WebhookRequest(body["app_id"], body["target"], list(triggers or ()), secret)


def parse_page(query: Mapping[str, str]) -> tuple[int, int | None]:
    """``offset`` (default 0) and ``limit`` (default: everything) of a ledger request."""
    problems: Problems = []
    values: dict[str, int | None] = {"offset": 0, "limit": None}
    for name, minimum in (("offset", 0), ("limit", 1)):
        text = query.get(name)
        if text is None or text == "":
            continue
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            problems.append((name, f"must be a whole number >= {minimum}"))
        values[name] = number
    if problems:
        raise ControlError(problems)
    return values["offset"] or 0, values["limit"]


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    """One accepted send as JSON."""
    found = {
        "message_id": entry.message_id,
        "correlation_id": entry.correlation_id,
        "request": entry.request,
        "accepted_time": format_time(entry.accepted),
    }
    if entry.batch_id is not None:
        found["batch_id"] = entry.batch_id
    return found


def ledger_json(entries: Sequence[LedgerEntry], offset: int, limit: int | None) -> dict[str, Any]:
    """A page of the ledger: ``entries`` from ``offset`` (oldest first), ``total`` and
    ``next_offset`` (``null`` on the last page). The ledger only grows until cleared, so
    polling with ``offset`` = the previous ``total`` returns exactly the new sends."""
    end = len(entries) if limit is None else min(len(entries), offset + limit)
    page = entries[offset:end]
    return {
        "entries": [entry_json(entry) for entry in page],
        "total": len(entries),
        "next_offset": end if end < len(entries) else None,
    }


_FAULT_KEYS: Final = ("route", "rate", "modes", "slow_seconds", "retry_after")


def parse_fault(body: Mapping[str, Any]) -> tuple[str, FaultPlan]:
    """``{route, rate, modes?: {MODE: weight}, slow_seconds?, retry_after?}`` -> the route
    and its :class:`FaultPlan`. Modes are :class:`FaultMode` names in any case
    (``STATUS_503`` or ``status_503``); the route name is checked by
    ``Emulator.inject_faults``."""
    problems = _unknown_keys(body, _FAULT_KEYS)
    route = body.get("route")
    if not isinstance(route, str) or not route:
        problems.append(("route", "required, a route name such as SendMessage"))
    if not is_number(body.get("rate")):
        problems.append(("rate", "required, a number within 0..1"))
    modes = body.get("modes")
    weights: dict[FaultMode | str, float] | None = None
    if modes is not None:
        known = {mode.value: mode for mode in FaultMode}
        if not _jsoncodec.is_object(modes) or not all(is_number(w) for w in modes.values()):
            problems.append(("modes", "must be an object of fault mode -> weight"))
        elif unknown := [str(name) for name in modes if str(name).lower() not in known]:
            names = ", ".join(mode.name for mode in FaultMode)
            problems.append(("modes", f"unknown mode(s) {', '.join(unknown)}; expected {names}"))
        else:
            weights = {known[str(name).lower()]: weight for name, weight in modes.items()}
    if "slow_seconds" in body and not is_number(body["slow_seconds"]):
        problems.append(("slow_seconds", "must be a number of seconds"))
    if "retry_after" in body and not isinstance(body["retry_after"], str):
        problems.append(("retry_after", 'must be a string such as "0.05"'))
    if problems:
        raise ControlError(problems)
    options = {name: body[name] for name in ("slow_seconds", "retry_after") if name in body}
    try:
        plan = FaultPlan(body["rate"], modes=weights, **options)
    except ValueError as error:  # its messages start with the field's name
        field = str(error).split(" ", 1)[0]
        raise ControlError([(field if field in _FAULT_KEYS else "modes", str(error))]) from None
    return str(route), plan


def plan_json(plan: FaultPlan) -> dict[str, Any]:
    """A :class:`FaultPlan` as JSON, modes by value as in ``/_emulator/stats`` (``modes``
    ``null`` = every mode equally likely)."""
    modes = None if plan.modes is None else {m.value: w for m, w in plan.modes.items()}
    return {
        "rate": plan.rate,
        "modes": modes,
        "slow_seconds": plan.slow_seconds,
        "retry_after": plan.retry_after,
    }


def faults_json(plans: Mapping[str, FaultPlan]) -> dict[str, Any]:
    """The plans in force, by route."""
    return {"plans": {route: plan_json(plan) for route, plan in plans.items()}}


def parse_rate_limit(body: Mapping[str, Any]) -> float | None:
    """``{"rate_limit": <requests per second above 0> | null}``; ``null`` = unlimited."""
    problems = _unknown_keys(body, ("rate_limit",))
    if "rate_limit" not in body:
        problems.append(("rate_limit", "required: a number above 0, or null for no limit"))
    value = body.get("rate_limit")
    if value is not None and not (is_number(value) and 0 < value < math.inf):
        problems.append(("rate_limit", "must be a finite number above 0, or null for no limit"))
    if problems:
        raise ControlError(problems)
    return None if value is None else float(value)


def rate_limit_json(value: float | None) -> dict[str, Any]:
    """The rate limit as JSON; an infinite one (measuring only) limits nothing: ``null``."""
    return {"rate_limit": None if value is None or math.isinf(value) else value}

"""Legacy opt-in and opt-out registration (catalog §2.10).

Only older sources document these endpoints; they may be gone from the live API. The
outcome arrives later as an ``OPT_IN`` / ``OPT_OUT`` callback whose ``status`` is an
:class:`OptInStatus` / :class:`OptOutStatus`.
"""

from __future__ import annotations

import enum

import attrs

from ._common import ConversationChannel, ProcessingStrategy, Recipient

__all__ = [
    "OptIn",
    "OptInRegisterRequest",
    "OptInRegisterResponse",
    "OptInStatus",
    "OptOut",
    "OptOutRegisterRequest",
    "OptOutRegisterResponse",
    "OptOutStatus",
]


class OptInStatus(enum.StrEnum):
    """Outcome of an opt-in registration (``OPT_IN`` callback)."""

    OPT_IN_SUCCEEDED = "OPT_IN_SUCCEEDED"
    OPT_IN_FAILED = "OPT_IN_FAILED"
    OPT_IN_STATUS_UNSPECIFIED = "OPT_IN_STATUS_UNSPECIFIED"


class OptOutStatus(enum.StrEnum):
    """Outcome of an opt-out registration (``OPT_OUT`` callback)."""

    OPT_OUT_SUCCEEDED = "OPT_OUT_SUCCEEDED"
    OPT_OUT_FAILED = "OPT_OUT_FAILED"
    OPT_OUT_STATUS_UNSPECIFIED = "OPT_OUT_STATUS_UNSPECIFIED"


@attrs.define(frozen=True, kw_only=True)
class OptInRegisterRequest:
    """Body of ``POST /optins:register``: the contact opts in on ``channels`` of an app."""

    app_id: str
    channels: list[ConversationChannel | str]
    recipient: Recipient
    processing_strategy: ProcessingStrategy | str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptOutRegisterRequest:
    """Body of ``POST /optouts:register``: the contact opts out on ``channels`` of an app."""

    app_id: str
    channels: list[ConversationChannel | str]
    recipient: Recipient
    processing_strategy: ProcessingStrategy | str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptIn:
    """A registered opt-in, with the API's defaults filled in."""

    app_id: str | None = None
    channels: list[ConversationChannel | str] | None = None
    recipient: Recipient | None = None
    processing_strategy: ProcessingStrategy | str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptOut:
    """A registered opt-out, with the API's defaults filled in."""

    app_id: str | None = None
    channels: list[ConversationChannel | str] | None = None
    recipient: Recipient | None = None
    processing_strategy: ProcessingStrategy | str | None = None


@attrs.define(frozen=True, kw_only=True)
class OptInRegisterResponse:
    """The accepted opt-in; ``request_id`` matches the ``OPT_IN`` callback."""

    request_id: str | None = None
    opt_in: OptIn | None = None


@attrs.define(frozen=True, kw_only=True)
class OptOutRegisterResponse:
    """The accepted opt-out; ``request_id`` matches the ``OPT_OUT`` callback."""

    request_id: str | None = None
    opt_out: OptOut | None = None

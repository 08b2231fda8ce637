"""Route providers: each API area is one module with a static route table and its handlers.

A provider's ``ROUTES`` name every route by its operationId (the names ``Emulator.script``
and ``requests_seen`` use), statically, so ``ROUTE_NAMES`` is known without building an app.
Routes of one path are listed together so aiohttp shares one resource between their methods
(and a wrong method answers 405 with the full ``Allow`` list).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Final

from aiohttp import web

from ._callbacks import CallbackSender
from ._ledger import LedgerEntry
from ._pagination import PageTokens
from ._store import Store

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PROJECT: Final = "/v1/projects/{project_id}"
"""Prefix of every Conversation API path."""
ID: Final = "[^/:]+"
"""Pattern of an ID path segment: no ``:``, so ``{id}:merge`` style routes do not collide."""


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: method, aiohttp path, route name (operationId) and handler attribute."""

    method: str
    path: str
    name: str
    handler: str


@dataclass(frozen=True, slots=True)
class Context:
    """What every handler may use: the one store, the page-token issuer, the project, the
    callback sender (called only when a webhook or ``callback_url`` could receive) and the
    send ledger (appended to by ``SendMessage`` only)."""

    store: Store
    tokens: PageTokens
    project_id: str
    callbacks: CallbackSender
    ledger: list[LedgerEntry]


class RouteProvider:
    """Base of the per-area route modules."""

    ROUTES: ClassVar[tuple[RouteSpec, ...]] = ()

    __slots__ = ("_callbacks", "_context", "_ledger", "_store", "_tokens")

    def __init__(self, context: Context) -> None:
        self._context = context
        self._store = context.store
        self._tokens = context.tokens
        self._callbacks = context.callbacks
        self._ledger = context.ledger

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """``(method, path, route name, bound handler)`` for each route of this area."""
        return [
            (spec.method, spec.path, spec.name, getattr(self, spec.handler)) for spec in self.ROUTES
        ]

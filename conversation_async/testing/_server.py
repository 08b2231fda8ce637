"""The :class:`Emulator`: builds the aiohttp application and runs it on a loopback port.

Every route goes through one small wrapper that counts the request, adds latency, then
checks credentials and the project before the handler runs; only while a fault is
configured (script, plan, rate limit, token outage) does it take the slow path instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from aiohttp import web

from .._checked import as_object
from ._apps import AppRoutes
from ._auth import TOKEN_PATH, Auth
from ._batch_rules import BatchSettings
from ._batches import (
    BATCH_PREFIX,
    BatchRoutes,
    BatchRuntime,
    batches_settled,
    due_batches_woken,
)
from ._callbacks import CallbackDelivery, CallbackSender
from ._clock import Clock, ManualClock, SystemClock
from ._consents import ConsentRoutes
from ._contacts import ContactRoutes
from ._control import (
    BATCH_SETTINGS_PATH,
    CLOCK_PATH,
    FAULTS_PATH,
    INBOUND_PATH,
    LEDGER_PATH,
    RATE_LIMIT_PATH,
    RESET_PATH,
    STATS_PATH,
    WEBHOOKS_PATH,
    ControlError,
    faults_json,
    ledger_json,
    parse_fault,
    parse_inbound,
    parse_page,
    parse_rate_limit,
    parse_webhook,
    rate_limit_json,
)
from ._control_batch import clock_json, parse_clock_move, parse_settings_update, settings_json
from ._conversations import CONTACT_MESSAGE_KEYS, ConversationRoutes
from ._envelope import ApiError, json_response, not_found
from ._events import EventRoutes
from ._faults import OUTAGE_MODES, Faults, ScriptedResponse
from ._inbound import receive_message
from ._ledger import LedgerEntry
from ._messages import MessageRoutes
from ._misc import MiscRoutes
from ._pagination import PageTokens
from ._params import non_empty_str, read_json_object, validate_one_of
from ._plans import FaultMode, FaultPlan, PlanDraws
from ._routing import Context, Handler, RouteProvider
from ._store import CONSENT_LISTS, Store
from ._templates import TemplateV1Routes, TemplateV2Routes
from ._webhooks import WebhookRoutes, validate_webhook

if TYPE_CHECKING:
    from .._client import ConversationClient

TOKEN_ROUTE: Final = "Token"  # noqa: S105 - a route name, not a secret
PROVIDERS: Final[tuple[type[RouteProvider], ...]] = (
    MessageRoutes,  # first: the benchmarked routes are matched before any other area's
    EventRoutes,
    ConversationRoutes,
    ContactRoutes,
    AppRoutes,
    WebhookRoutes,
    ConsentRoutes,
    MiscRoutes,
    TemplateV1Routes,
    TemplateV2Routes,
)
"""The route providers, one per API area, in registration order."""
MESSAGE_ROUTES: Final = tuple(spec.name for spec in MessageRoutes.ROUTES)
ROUTE_NAMES: Final = frozenset(
    (
        TOKEN_ROUTE,
        *(spec.name for provider in PROVIDERS for spec in provider.ROUTES),
        *(spec.name for spec in BatchRoutes.ROUTES),
    )
)
"""Every route name accepted by :meth:`Emulator.script` and :meth:`Emulator.inject_faults`
and counted in ``requests_seen``: ``Token`` plus the catalog's operationIds (and
``RegisterOptIn`` / ``RegisterOptOut``), and the Batch API's ``SendBatch``, ``CancelBatch``,
``GetBatchStatusesByMetadata``, ``GetBatchStatus``, ``BatchCreateContacts``,
``BatchDeleteContacts``, ``BatchInsertConsents``."""

_SHUTDOWN_TIMEOUT: Final = 1.0
"""Seconds ``stop()`` waits for in-flight handlers (e.g. a long scripted delay) before
cancelling them."""


_CLOCK_WAKE_TIMEOUT: Final = 10.0
"""Seconds ``POST /_emulator/clock`` waits for the batches it made due to wake up."""


def _control(handler: Callable[[web.Request], Awaitable[Any]]) -> Handler:
    """A control endpoint (not part of the Sinch API, no credentials): ``handler``'s value as
    JSON, or bad input as a 400 INVALID_ARGUMENT envelope saying what is wrong."""

    async def route(request: web.Request) -> web.StreamResponse:
        try:
            return json_response(await handler(request))
        except ControlError as error:
            return ApiError(400, str(error), violations=error.problems).response()
        except ValueError as error:  # the Emulator method's own check
            return ApiError(400, str(error)).response()
        except ApiError as error:  # e.g. a body that is not a JSON object
            return error.response()

    route.__name__ = handler.__name__
    return route


@web.middleware
async def _envelope_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown routes, wrong methods and aiohttp's own HTTP errors in Sinch's envelope."""
    exception = request.match_info.http_exception
    if exception is None:
        try:
            return await handler(request)
        except web.HTTPException as raised:
            if raised.status < 400:
                raise
            exception = raised
    headers = {"Allow": exception.headers["Allow"]} if "Allow" in exception.headers else None
    return ApiError(exception.status, exception.reason, headers=headers).response()


class Emulator:
    """A stateful fake of the Sinch Conversation API and its OAuth2 token endpoint.

    Start it with ``async with Emulator() as emu:`` (or ``await emu.start()`` /
    ``await emu.stop()``); it listens on ``host:port`` (port 0 picks a free port) and serves
    the Conversation host, the Templates host and the token endpoint from one server.

    After start: ``base_url``, ``templates_url``, ``auth_url``, ``port``. Always:
    ``project_id``, ``client_id``, ``client_secret``, ``app`` (the ``aiohttp.web``
    application) and ``client(**overrides)`` (a ``ConversationClient`` for this emulator).

    State and counters for assertions:

    - ``store.messages``: message ID -> ``StoredMessage`` with ``.message`` (the
      ConversationMessage JSON), ``.request`` (the raw SendMessageRequest or
      InjectMessageRequest body, or what ``inbound_message`` was given), ``.app_id``,
      ``.correlation_id``, ``.sequence``, ``.accepted``; ``store.events``: event ID ->
      ``StoredEvent`` (``.event``, ``.app_id``, ``.sequence``, ``.accepted``).
    - ID -> JSON dict, exactly as the API answers them: ``store.contacts``,
      ``store.conversations`` (both shared with sends, which create them),
      ``store.apps``, ``store.webhooks``, ``store.templates`` (v2), ``store.templates_v1``.
    - ``store.consents``: ``(app_id, list_type)`` -> identities (in order added);
      ``store.audit_records``: ``(app_id, identity)`` -> AuditRecord JSON list;
      ``store.project_settings``: the ProjectSettingsResponse JSON or ``None``.
    - ``requests_seen``: ``Counter`` of requests that reached each route (see
      ``ROUTE_NAMES``), scripted ones included.
    - ``token_requests``: calls to the token endpoint; ``expired_token_rejections``: API
      requests refused because their bearer token had expired.

    - ``ledger``: every send ``SendMessage`` accepted (:class:`LedgerEntry`), append-only:
      deletes and ``reset()`` leave it, ``clear_ledger()`` empties it.

    Knobs: ``token_expires_in`` (seconds, for tokens issued from now on), ``latency``
    (seconds added before every API response, scripted ones included; never applied to the
    token endpoint), ``expire_tokens()``, ``script(route, *responses)``,
    ``clear_scripts()``, ``reset()``; test hooks for state the API cannot write:
    ``add_consent(app_id, list_type, identity)`` / ``remove_consent(...)``.

    Random faults (for reliability tests): ``inject_faults(route, FaultPlan(...))`` /
    ``clear_faults()``, counted in ``faults_injected``; ``token_outage(seconds)``;
    ``rate_limit`` (requests/s over all API routes), counted in ``rate_limited`` and
    measured by ``request_rate_window(seconds)``. Precedence for one request: a script,
    then the rate limit (API routes) or an outage (``Token``), then the route's plan.

    Conventions where the API leaves a choice: an unknown ID in the path is a 404; a body
    field naming a resource that does not exist (a conversation's ``contact_id``, a
    webhook's ``app_id``, a merge's ``source_id``) is a 400 naming that field; a second
    active conversation for one (app, contact) is a 400 naming ``active``; creating project
    settings twice is a 409 ALREADY_EXISTS. ``update_mask`` is accepted as one comma-joined
    ``update_mask`` parameter or as repeated ``update_mask.paths`` parameters.

    A handler whose client disconnects is cancelled (so a passthrough send abandoned during
    its delay is not stored), and ``stop()`` cancels handlers still running after 1 s.

    Callbacks (catalog §4), opt-in: HTTP webhooks (created with ``POST /webhooks`` or
    ``add_webhook(...)``) receive signed POSTs for the triggers they subscribe to, and a
    send's ``callback_url`` receives that message's receipts instead of the app's webhooks
    (signed with the app's ``secret_for_overridden_callback_urls``). ``messages:send`` ->
    MESSAGE_SUBMIT, MESSAGE_DELIVERY ``QUEUED_ON_CHANNEL``, then ``DELIVERED`` (or
    ``FAILED`` for a ``delivery_failure_rate`` share, drawn from ``Emulator(seed=...)``);
    ``events:send`` -> EVENT_DELIVERY the same way; contact CRUD -> CONTACT_* to every
    app's webhooks; conversation create / stop / delete -> CONVERSATION_* to its app's;
    ``capability:query`` -> CAPABILITY; ``inbound_message(...)`` -> MESSAGE_INBOUND. Each
    callback waits ``delivery_delay`` seconds after the previous one to its target; failed
    attempts (non-2xx, connection error, ``callback_timeout``) are retried after
    ``callback_retry_base`` seconds, doubling, up to ``callback_max_attempts`` attempts.
    Observe them with ``callbacks`` (:class:`CallbackDelivery` records),
    ``callbacks_delivered``, ``callbacks_failed`` and ``await callbacks_settled()``;
    ``stop()`` cancels deliveries still pending.

    Batch API (labelled beta by Sinch): served below ``batch_url`` (``{base_url}/batch``);
    ``store.batches`` holds each batch (:class:`StoredBatch`), its generated messages are
    stored, ledgered (with ``LedgerEntry.batch_id``) and called back like sends. What the
    sources leave open is ``batch_settings`` (:class:`BatchSettings`, also
    ``Emulator(batch=...)``); scheduling reads ``clock`` (``Emulator(clock=ManualClock())``
    for tests); ``await batches_settled()`` waits for due batches and contact jobs.

    Control API: JSON endpoints under ``/_emulator/`` (stats, reset, inbound, webhooks,
    ledger, faults, rate-limit, batch-settings, clock; listed in
    ``conversation_async.testing.__main__``) do what ``stats()``, ``reset()``,
    ``inbound_message``, ``add_webhook``, ``ledger``, ``inject_faults``, ``rate_limit``,
    ``batch_settings`` and ``clock.advance`` do, for a process that cannot call them.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        project_id: str = "emulator-project",
        client_id: str = "emulator-client",
        client_secret: str = "emulator-secret",  # noqa: S107 - a fake, published credential
        token_expires_in: int = 3600,
        latency: float = 0.0,
        seed: int | None = None,
        rate_limit: float | None = None,
        batch: BatchSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        if batch is not None and not isinstance(as_object(batch), BatchSettings):
            raise TypeError(f"batch must be a BatchSettings, got {type(batch).__name__}")
        self._batch = BatchRuntime(batch or BatchSettings(), clock or SystemClock())
        self._host = host
        self._port = port
        self._project_id = project_id
        self._client_secret = client_secret
        self._auth = Auth(client_id, client_secret, token_expires_in)
        self._faults = Faults()
        self.latency = latency
        self._seed = seed
        self.rate_limit = rate_limit
        self._requests_seen: Counter[str] = Counter()
        self._store = Store(project_id)
        self._ledger: list[LedgerEntry] = []
        self._callbacks = CallbackSender(self._store, project_id, seed=seed)
        self._app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._bound_port: int | None = None
        self._used = False

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<Emulator {where} project_id={self._project_id!r}>"

    # -- application -------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[_envelope_errors])
        app.router.add_route("POST", TOKEN_PATH, self._wrap(TOKEN_ROUTE, self._auth.token_endpoint))
        context = Context(
            self._store, PageTokens(), self._project_id, self._callbacks, self._ledger
        )
        for provider in PROVIDERS:
            for method, path, name, handler in provider(context).routes():
                app.router.add_route(method, path, self._wrap(name, handler, api=True))
        runtime = self._batch
        for method, path, name, handler in BatchRoutes(context, runtime).routes():
            wrapped = self._wrap(
                name, handler, api=True, limited=lambda: runtime.settings.shares_rate_limit
            )
            app.router.add_route(method, path, wrapped)
        for method, path, endpoint in (
            ("GET", STATS_PATH, self._stats),
            ("POST", RESET_PATH, self._reset),
            ("POST", INBOUND_PATH, self._inbound),
            ("GET", WEBHOOKS_PATH, self._webhooks),
            ("POST", WEBHOOKS_PATH, self._add_webhook),
            ("GET", LEDGER_PATH, self._ledger_page),
            ("DELETE", LEDGER_PATH, self._clear_ledger),
            ("GET", FAULTS_PATH, self._fault_plans),
            ("POST", FAULTS_PATH, self._set_fault),
            ("DELETE", FAULTS_PATH, self._clear_faults),
            ("GET", RATE_LIMIT_PATH, self._rate_limit),
            ("PUT", RATE_LIMIT_PATH, self._set_rate_limit),
            ("GET", BATCH_SETTINGS_PATH, self._batch_settings),
            ("PATCH", BATCH_SETTINGS_PATH, self._change_batch_settings),
            ("DELETE", BATCH_SETTINGS_PATH, self._default_batch_settings),
            ("GET", CLOCK_PATH, self._clock),
            ("POST", CLOCK_PATH, self._move_clock),
        ):
            app.router.add_route(method, path, _control(endpoint))
        app.on_cleanup.append(self._close_callbacks)  # also when served by another runner
        app.on_cleanup.append(self._stop_batches)
        return app

    # -- control API: one Emulator method each, for tools in another process -----------

    async def _stats(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/stats``: :meth:`stats`."""
        return self.stats()

    async def _reset(self, _: web.Request) -> dict[str, Any]:
        """``POST /_emulator/reset``: :meth:`reset`."""
        self.reset()
        return {}

    async def _inbound(self, request: web.Request) -> dict[str, Any]:
        """``POST /_emulator/inbound``: :meth:`inbound_message`; answers the message."""
        inbound = parse_inbound(await read_json_object(request))
        message = self.inbound_message(
            inbound.app_id,
            (inbound.channel, inbound.identity),
            text=inbound.text,
            contact_message=inbound.contact_message,
        )
        return {"message": message}

    async def _webhooks(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/webhooks``: every app's webhooks (the API lists one app's)."""
        return {"webhooks": list(self._store.webhooks.values())}

    async def _add_webhook(self, request: web.Request) -> dict[str, Any]:
        """``POST /_emulator/webhooks``: :meth:`add_webhook` (no app needed); answers it."""
        hook = parse_webhook(await read_json_object(request))
        return self.add_webhook(
            hook.app_id, hook.target, triggers=hook.triggers, secret=hook.secret
        )

    async def _ledger_page(self, request: web.Request) -> dict[str, Any]:
        """``GET /_emulator/ledger[?offset=&limit=]``: :attr:`ledger`, all or a page."""
        offset, limit = parse_page(request.query)
        return ledger_json(self._ledger, offset, limit)

    async def _clear_ledger(self, _: web.Request) -> dict[str, Any]:
        """``DELETE /_emulator/ledger``: :meth:`clear_ledger`."""
        self.clear_ledger()
        return {}

    async def _fault_plans(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/faults``: :attr:`fault_plans`."""
        return faults_json(self.fault_plans)

    async def _set_fault(self, request: web.Request) -> dict[str, Any]:
        """``POST /_emulator/faults``: :meth:`inject_faults`; answers the plans."""
        self.inject_faults(*parse_fault(await read_json_object(request)))
        return faults_json(self.fault_plans)

    async def _clear_faults(self, request: web.Request) -> dict[str, Any]:
        """``DELETE /_emulator/faults[?route=]``: :meth:`clear_faults`; answers the plans."""
        self.clear_faults(request.query.get("route") or None)
        return faults_json(self.fault_plans)

    async def _rate_limit(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/rate-limit``: :attr:`rate_limit`."""
        return rate_limit_json(self.rate_limit)

    async def _set_rate_limit(self, request: web.Request) -> dict[str, Any]:
        """``PUT /_emulator/rate-limit``: sets :attr:`rate_limit`; answers it."""
        self.rate_limit = parse_rate_limit(await read_json_object(request))
        return rate_limit_json(self.rate_limit)

    async def _batch_settings(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/batch-settings``: :attr:`batch_settings`."""
        return settings_json(self.batch_settings)

    async def _change_batch_settings(self, request: web.Request) -> dict[str, Any]:
        """``PATCH /_emulator/batch-settings``: the named settings change, all or none;
        answers every setting."""
        body = await read_json_object(request)
        self.batch_settings = parse_settings_update(body, self.batch_settings)
        return settings_json(self.batch_settings)

    async def _default_batch_settings(self, _: web.Request) -> dict[str, Any]:
        """``DELETE /_emulator/batch-settings``: every setting back to its default."""
        self.batch_settings = BatchSettings()
        return settings_json(self.batch_settings)

    async def _clock(self, _: web.Request) -> dict[str, Any]:
        """``GET /_emulator/clock``: :attr:`clock`'s time, and whether it is manual."""
        return clock_json(self.clock)

    async def _move_clock(self, request: web.Request) -> dict[str, Any]:
        """``POST /_emulator/clock``: move a :class:`ManualClock` (``advance`` or ``to``);
        answers once the batches it made due have left SCHEDULED."""
        move = parse_clock_move(await read_json_object(request))
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise ValueError(
                "the emulator runs on the system clock; start it with --manual-clock "
                "(or Emulator(clock=ManualClock())) to move time by hand"
            )
        move.apply(clock)
        with contextlib.suppress(TimeoutError):  # answer anyway; the batches go on
            await due_batches_woken(self._batch, self._store.batches, _CLOCK_WAKE_TIMEOUT)
        return clock_json(clock)

    def stats(self) -> dict[str, Any]:
        """Counters as plain JSON: token requests, requests by route, stored messages...;
        ``faults_injected`` is route -> mode -> count."""
        injected: dict[str, dict[str, int]] = {}
        for (route, mode), count in self._faults.injected.items():
            injected.setdefault(route, {})[mode.value] = count
        return {
            "token_requests": self.token_requests,
            "expired_token_rejections": self.expired_token_rejections,
            "requests_seen": dict(self._requests_seen),
            "messages_stored": len(self._store.messages),
            "batches_stored": len(self._store.batches),
            "callbacks_delivered": self.callbacks_delivered,
            "callbacks_failed": self.callbacks_failed,
            "ledger_size": len(self._ledger),
            "rate_limited": self._faults.rate_limited,
            "faults_injected": injected,
        }

    async def _close_callbacks(self, _: web.Application) -> None:
        await self._callbacks.close()

    async def _stop_batches(self, _: web.Application) -> None:
        await self._batch.cancel_all()

    def _wrap(
        self,
        name: str,
        handler: Handler,
        *,
        api: bool = False,
        limited: Callable[[], bool] | None = None,
    ) -> Handler:
        """Count, delay, authenticate, check the project, then run ``handler``; while a
        fault is configured, :meth:`Faults.misbehave` answers instead (the rate limit only
        while ``limited()`` says so, when given)."""
        seen = self._requests_seen
        faults = self._faults
        auth = self._auth
        project_id = self._project_id

        async def process(request: web.Request) -> web.StreamResponse:
            """Authenticate, check the project and run the handler."""
            if not api:
                return await handler(request)
            try:
                auth.check(request.headers.get("Authorization"))
                if request.match_info["project_id"] != project_id:
                    raise not_found(f"Project {request.match_info['project_id']} not found")
                return await handler(request)
            except ApiError as error:
                return error.response()

        async def route(request: web.Request) -> web.StreamResponse:
            seen[name] += 1
            if faults.armed:
                if limited is not None:
                    return await faults.misbehave(name, api, request, process, limited=limited())
                return await faults.misbehave(name, api, request, process)
            if api and faults.latency > 0:
                await asyncio.sleep(faults.latency)
            return await process(request)

        route.__name__ = name
        return route

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket and start serving; an emulator can be started once."""
        if self._used:
            raise RuntimeError("this Emulator was already started; create a new one")
        self._used = True
        runner = web.AppRunner(
            self._app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._callbacks.open()
        self._bound_port = int(runner.addresses[0][1])
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._base_url = f"http://{host}:{self._bound_port}"

    async def stop(self) -> None:
        """Stop serving, cancel pending callback deliveries and release the socket and the
        delivery session; safe to call more than once."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._batch.cancel_all()
        await self._callbacks.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses and credentials -----------------------------------------------------

    def _started_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not started (use 'async with Emulator()')")
        return self._base_url

    @property
    def base_url(self) -> str:
        """The Conversation host, e.g. ``http://127.0.0.1:PORT``."""
        return self._started_url()

    @property
    def templates_url(self) -> str:
        """The Template Management host (the same server)."""
        return self._started_url()

    @property
    def batch_url(self) -> str:
        """The Batch API host: ``{base_url}/batch`` (the same server, its own prefix)."""
        return self._started_url() + BATCH_PREFIX

    @property
    def auth_url(self) -> str:
        """The full token URL, ``{base_url}/oauth2/token``."""
        return self._started_url() + TOKEN_PATH

    @property
    def host(self) -> str:
        """The host the emulator binds to."""
        return self._host

    @property
    def port(self) -> int:
        """The port actually bound (known after start)."""
        self._started_url()
        assert self._bound_port is not None  # noqa: S101 - set together with _base_url
        return self._bound_port

    @property
    def project_id(self) -> str:
        """The only project ID the emulator serves; others get 404."""
        return self._project_id

    @property
    def client_id(self) -> str:
        """The access key ID accepted by the token endpoint and Basic auth."""
        return self._auth.client_id

    @property
    def client_secret(self) -> str:
        """The access key secret accepted by the token endpoint and Basic auth."""
        return self._client_secret

    @property
    def app(self) -> web.Application:
        """The ``aiohttp.web`` application, to mount or run elsewhere."""
        return self._app

    def client(self, **overrides: Any) -> ConversationClient:
        """A ``ConversationClient`` for this emulator; ``overrides`` go to its constructor."""
        from .._client import ConversationClient

        return ConversationClient(
            self.project_id,
            self.client_id,
            self.client_secret,
            conversation_url=self.base_url,
            templates_url=self.templates_url,
            batch_url=self.batch_url,
            auth_url=self.auth_url,
            **overrides,
        )

    # -- state, counters and knobs -----------------------------------------------------

    @property
    def store(self) -> Store:
        """Every stored resource (see the class docstring)."""
        return self._store

    @property
    def requests_seen(self) -> Counter[str]:
        """Requests that reached each route, by route name."""
        return self._requests_seen

    @property
    def token_requests(self) -> int:
        """Calls to the token endpoint, scripted or not."""
        return self._requests_seen[TOKEN_ROUTE]

    @property
    def expired_token_rejections(self) -> int:
        """API requests refused with 401 because their bearer token had expired."""
        return self._auth.expired_token_rejections

    @property
    def token_expires_in(self) -> int:
        """Lifetime in seconds of tokens issued from now on."""
        return self._auth.token_expires_in

    @token_expires_in.setter
    def token_expires_in(self, value: int) -> None:
        self._auth.token_expires_in = value

    @property
    def latency(self) -> float:
        """Seconds added before every API response (not the token endpoint)."""
        return self._faults.latency

    @latency.setter
    def latency(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"latency must be >= 0, got {value}")
        self._faults.latency = float(value)

    def expire_tokens(self) -> None:
        """Mark every token issued so far as expired."""
        self._auth.expire_all()

    def script(self, route: str, *responses: ScriptedResponse) -> None:
        """Answer the next ``len(responses)`` requests to ``route`` with ``responses``, in order.

        Scripts are consumed before authentication, the rate limit and fault plans;
        afterwards normal behaviour resumes.
        """
        _check_route(route)
        self._faults.add(route, responses)

    def scripts_pending(self, route: str) -> int:
        """How many scripted responses for ``route`` have not been used yet."""
        return self._faults.pending(route)

    def clear_scripts(self) -> None:
        """Drop every scripted response not used yet."""
        self._faults.clear()

    # -- random faults, rate limit, token outage, ledger ---------------------------------

    def inject_faults(self, route: str, plan: FaultPlan) -> None:
        """Fail a ``plan.rate`` share of the requests to ``route`` from now on (replacing its
        plan, if any), in modes drawn by ``plan.modes`` weights.

        Draws come from the route's own RNG, seeded from ``Emulator(seed=...)`` and the
        route name: for a seed, the same requests to a route get the same faults whatever
        other routes see, and every ``inject_faults`` restarts the sequence. Scripts go
        first; a scripted request draws nothing. The errors are in Sinch's envelope, on the
        token endpoint too. See :class:`FaultMode` for which modes process first.
        """
        _check_route(route)
        if not isinstance(as_object(plan), FaultPlan):
            raise TypeError(f"expected FaultPlan, got {type(plan).__name__}")
        seed = None if self._seed is None else f"{self._seed}:{route}"
        rng = random.Random(seed)  # noqa: S311 - reproducible test outcomes, not crypto
        self._faults.plans[route] = PlanDraws(plan, rng)
        self._faults.rearm()

    def clear_faults(self, route: str | None = None) -> None:
        """Drop the fault plan of ``route`` (no plan: nothing happens), or every plan."""
        if route is None:
            self._faults.plans.clear()
        else:
            _check_route(route)
            self._faults.plans.pop(route, None)
        self._faults.rearm()

    @property
    def fault_plans(self) -> dict[str, FaultPlan]:
        """The plans in force, by route (a copy)."""
        return {route: draws.plan for route, draws in self._faults.plans.items()}

    @property
    def faults_injected(self) -> Counter[tuple[str, FaultMode]]:
        """Faults injected by plans, by ``(route, mode)`` (``reset()`` zeroes them)."""
        return self._faults.injected

    def token_outage(self, seconds: float, *, mode: str = "503") -> None:
        """Make the token endpoint fail for ``seconds`` from now, then work again by itself.

        ``mode="503"`` answers 503 ``{"error": "temporarily_unavailable", ...}`` (OAuth2's
        shape), ``mode="reset"`` aborts the connection. Tokens issued before stay valid;
        ``token_outage(0)`` ends an outage. Scripts for ``Token`` still go first.
        """
        if mode not in OUTAGE_MODES:
            raise ValueError(f"mode must be one of {sorted(OUTAGE_MODES)}, got {mode!r}")
        self._faults.start_outage(_non_negative("seconds", seconds), reset=mode == "reset")

    @property
    def token_outage_active(self) -> bool:
        """Whether the token endpoint is in an outage now."""
        return self._faults.outage()

    @property
    def rate_limit(self) -> float | None:
        """API requests per second the project may make (all API routes together; the token
        endpoint is not limited); ``None`` = unlimited.

        Beyond it (a token bucket, burst = one second's worth) requests are answered 429
        RESOURCE_EXHAUSTED with ``Retry-After`` (seconds to the next slot, at least 0.05,
        decimal) before processing, and counted in ``rate_limited``. Setting it refills the
        bucket. ``math.inf`` limits nothing but keeps ``request_rate_window`` measuring.
        """
        limiter = self._faults.limiter
        return None if limiter is None else limiter.rate

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        if value is not None and not value > 0:
            raise ValueError(f"rate_limit must be > 0 or None, got {value}")
        self._faults.set_rate_limit(None if value is None else float(value))

    @property
    def rate_limited(self) -> int:
        """Requests answered 429 by ``rate_limit`` (``reset()`` zeroes it)."""
        return self._faults.rate_limited

    def request_rate_window(self, seconds: float, *, admitted: bool = False) -> float:
        """API requests per second over the last ``seconds`` (up to 600), as the emulator saw
        them; ``admitted=True`` counts only those the rate limit let through.

        Counted in tenth-of-a-second buckets, and only while ``rate_limit`` is set (use
        ``math.inf`` to measure without limiting); scripted requests are not counted.
        """
        if not 0 < seconds <= 600:
            raise ValueError(f"seconds must be within (0, 600], got {seconds}")
        return self._faults.meter.rate(seconds, time.monotonic(), admitted=admitted)

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every send ``SendMessage`` accepted, oldest first (the live list: read it, do
        not change it). Kept through deletes and ``reset()``; see ``clear_ledger()``."""
        return self._ledger

    def clear_ledger(self) -> None:
        """Empty the ledger."""
        self._ledger.clear()

    def add_consent(self, app_id: str, list_type: str, identity: str) -> bool:
        """Put ``identity`` on an app's consents list (audited as an ORIGIN_API insert).

        ``list_type`` is OPT_OUT_ALL, OPT_OUT_MARKETING or OPT_OUT_NOTIFICATION. Answers
        ``False`` (and audits nothing) when the identity was already on the list.
        """
        _check_list_type(list_type)
        return self._store.add_consent(app_id, list_type, identity)

    def remove_consent(self, app_id: str, list_type: str, identity: str) -> bool:
        """Take ``identity`` off an app's consents list (audited as an ORIGIN_API delete).

        Answers ``False`` (and audits nothing) when the identity was not on the list.
        """
        _check_list_type(list_type)
        return self._store.remove_consent(app_id, list_type, identity)

    def reset(self) -> None:
        """Forget stored state, counters and scripts; issued tokens stay valid.

        Pending callback deliveries are cancelled and the callback log and counters cleared.
        Settings stay: fault plans, the rate limit, a token outage, latency; so does the
        ledger.
        """
        self._store.clear()
        self._batch.forget()
        self._requests_seen.clear()
        self._auth.expired_token_rejections = 0
        self._faults.clear()
        self._faults.forget_counts()
        self._callbacks.forget()

    # -- Batch API -----------------------------------------------------------------------

    @property
    def batch_settings(self) -> BatchSettings:
        """How the Batch API answers where no source says (see :class:`BatchSettings`);
        replace it at any time (``emu.batch_settings = BatchSettings(...)``)."""
        return self._batch.settings

    @batch_settings.setter
    def batch_settings(self, value: BatchSettings) -> None:
        if not isinstance(as_object(value), BatchSettings):
            raise TypeError(f"expected BatchSettings, got {type(value).__name__}")
        self._batch.settings = value

    @property
    def clock(self) -> Clock:
        """The clock batch scheduling reads (``SystemClock`` unless one was given)."""
        return self._batch.clock

    async def batches_settled(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - simple for tests
        """Wait until every batch due by ``clock`` has been processed and no contact job
        runs; ``TimeoutError`` after ``timeout`` seconds. Scheduled batches not yet due are
        not waited for."""
        await batches_settled(self._batch, self._store.batches, timeout)

    # -- callbacks -----------------------------------------------------------------------

    def add_webhook(
        self,
        app_id: str,
        target: str,
        *,
        triggers: Iterable[str],
        secret: str | None = None,
    ) -> dict[str, Any]:
        """Register an HTTP webhook as ``POST /webhooks`` would, and return it.

        Unlike the API, the app need not exist (a bot can be tested without creating its
        app) and the per-app limit and unique-target checks are skipped; a malformed
        webhook (empty target, unknown trigger) is a ``ValueError``.
        """
        if isinstance(triggers, str):
            raise ValueError("triggers must be a list of trigger names, not one string")
        webhook: dict[str, Any] = {
            "id": self._store.new_id(),
            "app_id": app_id,
            "target": target,
            "target_type": "HTTP",
            "secret": secret or "",
            "triggers": [str(trigger) for trigger in triggers],
        }
        problems = validate_webhook(webhook)
        if problems:
            raise ValueError("; ".join(f"{field}: {why}" for field, why in problems))
        self._store.webhooks[webhook["id"]] = webhook
        return webhook

    def inbound_message(
        self,
        app_id: str,
        channel_identity: tuple[str, str] | Mapping[str, Any],
        *,
        text: str | None = None,
        contact_message: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Simulate a contact writing to ``app_id``; returns the stored ConversationMessage.

        ``channel_identity`` is ``(channel, identity)`` or ``{"channel": ..., "identity":
        ...}``; give exactly one of ``text`` or ``contact_message`` (a ContactMessage
        object). The contact and conversation are found or created as sends do; the app's
        webhooks get MESSAGE_INBOUND, after CONVERSATION_START when the message opens a
        conversation of an app in CONVERSATION mode (an unknown ``app_id`` counts as one).
        Call it inside the running event loop.
        """
        if isinstance(channel_identity, Mapping):
            channel = channel_identity.get("channel")
            identity = channel_identity.get("identity")
        else:
            channel, identity = channel_identity
        if not (non_empty_str(app_id) and non_empty_str(channel) and non_empty_str(identity)):
            raise ValueError("app_id, channel and identity must be non-empty strings")
        if (text is None) == (contact_message is None):
            raise ValueError("give exactly one of text or contact_message")
        content = (
            {"text_message": {"text": text}}
            if contact_message is None
            else copy.deepcopy(dict(contact_message))
        )
        problems = validate_one_of(content, CONTACT_MESSAGE_KEYS, "contact_message")
        if problems:
            raise ValueError("; ".join(f"{field}: {why}" for field, why in problems))
        stored = receive_message(
            self._store, self._callbacks, app_id, str(channel), str(identity), content
        )
        return stored.message

    async def callbacks_settled(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - simple for tests
        """Wait until no callback delivery is pending (delivered or given up).

        Raises ``TimeoutError`` if deliveries are still pending after ``timeout`` seconds
        (they go on).
        """
        await self._callbacks.settled(timeout)

    @property
    def callbacks(self) -> list[CallbackDelivery]:
        """Every callback delivery so far, in the order first attempted."""
        return self._callbacks.log

    @property
    def callbacks_delivered(self) -> int:
        """Callbacks a target accepted (2xx)."""
        return self._callbacks.delivered

    @property
    def callbacks_failed(self) -> int:
        """Callbacks given up after ``callback_max_attempts`` failed attempts."""
        return self._callbacks.failed

    @property
    def callbacks_pending(self) -> int:
        """Targets with callbacks still to deliver (0 once settled)."""
        return self._callbacks.pending

    @property
    def delivery_delay(self) -> float:
        """Seconds between a target's consecutive callbacks (and before the first)."""
        return self._callbacks.delivery_delay

    @delivery_delay.setter
    def delivery_delay(self, value: float) -> None:
        self._callbacks.delivery_delay = _non_negative("delivery_delay", value)

    @property
    def delivery_failure_rate(self) -> float:
        """Share (0..1) of messages and events whose final delivery report is FAILED."""
        return self._callbacks.failure_rate

    @delivery_failure_rate.setter
    def delivery_failure_rate(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"delivery_failure_rate must be within 0..1, got {value}")
        self._callbacks.failure_rate = float(value)

    @property
    def callback_timeout(self) -> float:
        """Seconds one callback POST may take before it counts as failed."""
        return self._callbacks.timeout

    @callback_timeout.setter
    def callback_timeout(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"callback_timeout must be > 0, got {value}")
        self._callbacks.timeout = float(value)

    @property
    def callback_retry_base(self) -> float:
        """Seconds before the first retry of a callback; each further retry waits twice as
        long."""
        return self._callbacks.retry_base

    @callback_retry_base.setter
    def callback_retry_base(self, value: float) -> None:
        self._callbacks.retry_base = _non_negative("callback_retry_base", value)

    @property
    def callback_max_attempts(self) -> int:
        """Attempts per callback (the first one included) before it is given up."""
        return self._callbacks.max_attempts

    @callback_max_attempts.setter
    def callback_max_attempts(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"callback_max_attempts must be >= 1, got {value}")
        self._callbacks.max_attempts = int(value)


def _non_negative(name: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


def _check_route(route: str) -> None:
    if route not in ROUTE_NAMES:
        raise ValueError(f"unknown route {route!r}; expected one of {sorted(ROUTE_NAMES)}")


def _check_list_type(list_type: str) -> None:
    if list_type not in CONSENT_LISTS:
        raise ValueError(
            f"unknown list_type {list_type!r}; expected one of {sorted(CONSENT_LISTS)}"
        )

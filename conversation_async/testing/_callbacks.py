"""Callback delivery (catalog §4): the emulator acting as Sinch's callback sender.

Routes call the :class:`CallbackSender` after they changed the store; it finds the targets
(the subscribed HTTP webhooks of the app, every app's for contact notifications, or a send's
``callback_url``), and runs one tracked background task per target that POSTs the
callbacks in order, each ``delivery_delay`` seconds after the previous one. A callback is
signed with the target's secret (none: no signature headers) by
:func:`~conversation_async.callbacks._signature.signature_headers`, freshly per attempt, and
retried with exponential back-off on a non-2xx answer, a connection error or a timeout.

Order: the callbacks of one notification reach a target in order, even across retries (a
message's MESSAGE_SUBMIT, QUEUED_ON_CHANNEL, then DELIVERED; CONVERSATION_START before
the MESSAGE_INBOUND that opened it), because one task sends them one by one. Separate
notifications go out concurrently, so their relative order is not guaranteed (as with
Sinch). ``accepted_time`` is when the API accepted the message, event or operation;
``event_time`` when the callback was built. Only ``HTTP`` webhooks are called (``DISMISS``
and ``GRPC`` ones never); a webhook's ``client_credentials`` are ignored (no OAuth2 token
is fetched from the target).

Nothing happens without a receiver: routes only call the sender when a webhook exists (or
a send names a ``callback_url``), so sends without one pay nothing. Deliveries share one
``aiohttp.ClientSession`` of the sender's own, opened on start and closed on stop: the test
server playing Sinch's callback sender is the one exception to "only ``transport.py`` uses
aiohttp's client".
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp

from ._envelope import JSON_CONTENT_TYPE, dumps
from ._store import Store, StoredEvent, StoredMessage, format_time

_LOG: Final = logging.getLogger(__name__)

Stage = tuple[str, str, dict[str, Any]]
"""One callback to send: ``(trigger, payload key, payload)``."""

FAILURE_REASON: Final = {
    "code": "RECIPIENT_NOT_REACHABLE",
    "description": "The emulator failed this delivery (delivery_failure_rate).",
    "sub_code": "UNSPECIFIED_SUB_CODE",
}
"""``reason`` of a FAILED delivery report."""


@dataclass(slots=True)
class CallbackDelivery:
    """One callback to one target, as delivered (or given up); an entry of ``emu.callbacks``.

    ``body`` is the exact JSON bytes POSTed (the same on every attempt) and ``headers`` the
    headers of the latest attempt (``Content-Type`` plus, for a target with a secret, the
    four ``x-sinch-webhook-signature*`` headers). ``status`` is the HTTP status answered to
    the latest attempt (``None`` if it got no answer); ``last_error`` describes the latest
    failed attempt (kept after a later success; ``None`` if none failed).
    """

    target: str
    trigger: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict[str, str])
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    last_error: str | None = None

    def json(self) -> Any:
        """The decoded body."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    secret: str
    app_id: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope fields a callback shares with its siblings (catalog §4.1); ``app_id``
    ``None`` means the target webhook's app."""

    accepted_time: str
    message_metadata: str = ""
    correlation_id: str | None = None
    app_id: str | None = None


def now_time() -> str:
    """The current time as the API writes it."""
    return format_time(datetime.now(UTC))


def serialized_metadata(value: object) -> str:
    """``conversation_metadata`` as the envelope's ``message_metadata`` string ("" if unset)."""
    if value is None or value == {}:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class CallbackSender:
    """Finds the targets of each notification and delivers its callbacks in the background.

    Knobs (read at each use, so tests may change them at any time): ``delivery_delay``,
    ``failure_rate``, ``timeout``, ``retry_base``, ``max_attempts``; ``rng`` decides
    failures. Records: ``log`` (one :class:`CallbackDelivery` per callback and target, added
    at its first attempt), ``delivered`` and ``failed`` counters.
    """

    __slots__ = (
        "_closed",
        "_project_id",
        "_session",
        "_store",
        "_tasks",
        "delivered",
        "delivery_delay",
        "failed",
        "failure_rate",
        "log",
        "max_attempts",
        "retry_base",
        "rng",
        "timeout",
    )

    def __init__(self, store: Store, project_id: str, *, seed: int | None = None) -> None:
        self._store = store
        self._project_id = project_id
        self.delivery_delay = 0.01
        self.failure_rate = 0.0
        self.timeout = 5.0
        self.retry_base = 0.05
        self.max_attempts = 5
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test outcomes, not crypto
        self.log: list[CallbackDelivery] = []
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Targets whose callbacks are not all delivered or given up yet."""
        return len(self._tasks)

    def open(self) -> aiohttp.ClientSession:
        """The delivery session, opened on first use (inside the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Cancel pending deliveries, wait for them, close the session; idempotent."""
        self._closed = True
        await self.cancel_pending()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def cancel_pending(self) -> None:
        """Cancel every pending delivery and wait until they are gone."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def forget(self) -> None:
        """Cancel pending deliveries (without waiting) and clear the log and counters."""
        for task in self._tasks:
            task.cancel()
        self.log.clear()
        self.delivered = 0
        self.failed = 0

    async def settled(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline
        """Wait until no delivery is pending; ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.wait(list(self._tasks))

    # -- what the routes report ----------------------------------------------------------

    def message_sent(
        self,
        stored: StoredMessage,
        body: dict[str, Any],
        *,
        failed_extra: dict[str, Any] | None = None,
    ) -> None:
        """MESSAGE_SUBMIT, then MESSAGE_DELIVERY ``QUEUED_ON_CHANNEL`` and ``DELIVERED``
        (or ``FAILED``, with ``failed_extra`` fields added), to ``callback_url`` if the send
        has one, else to the app's webhooks."""
        message = stored.message
        targets = self._receipt_targets(
            stored.app_id, body.get("callback_url"), ("MESSAGE_SUBMIT", "MESSAGE_DELIVERY")
        )
        if not targets:
            return
        metadata = body.get("message_metadata") or ""
        mode = message["processing_mode"]
        about = {
            "message_id": message["id"],
            "conversation_id": message["conversation_id"],
        }
        who = {"channel_identity": message["channel_identity"], "contact_id": message["contact_id"]}
        submit = {
            **about,
            **who,
            "submitted_message": body["message"],
            "metadata": metadata,
            "processing_mode": mode,
        }
        queued, final = self._reports(about, who, metadata, mode)
        if failed_extra and final["status"] == "FAILED":
            final.update(failed_extra)
        stages: list[Stage] = [
            ("MESSAGE_SUBMIT", "message_submit_notification", submit),
            ("MESSAGE_DELIVERY", "message_delivery_report", queued),
            ("MESSAGE_DELIVERY", "message_delivery_report", final),
        ]
        envelope = Envelope(
            message["accept_time"],
            serialized_metadata(body.get("conversation_metadata")),
            body.get("correlation_id") or None,
        )
        self._start_all(targets, stages, envelope)

    def event_sent(self, stored: StoredEvent, body: dict[str, Any]) -> None:
        """EVENT_DELIVERY ``QUEUED_ON_CHANNEL`` then ``DELIVERED`` (or ``FAILED``)."""
        event = stored.event
        targets = self._receipt_targets(
            stored.app_id, body.get("callback_url"), ("EVENT_DELIVERY",)
        )
        if not targets:
            return
        who = {"channel_identity": event["channel_identity"], "contact_id": event["contact_id"]}
        queued, final = self._reports(
            {"event_id": event["id"]},
            who,
            body.get("event_metadata") or "",
            event["processing_mode"],
        )
        stages: list[Stage] = [
            ("EVENT_DELIVERY", "event_delivery_report", queued),
            ("EVENT_DELIVERY", "event_delivery_report", final),
        ]
        self._start_all(targets, stages, Envelope(event["accept_time"]))

    def notify(
        self, app_id: str | None, stages: list[Stage], envelope: Envelope | None = None
    ) -> None:
        """Send ``stages`` to the webhooks of ``app_id`` (every app's when ``None``) that
        subscribe to them; each webhook gets the ones it subscribes to, in order. Payloads
        are copied now, so later changes to the store do not leak into the callbacks."""
        copied: list[Stage] | None = None
        envelope = envelope or Envelope(now_time())
        for webhook in self._store.webhooks.values():
            if app_id is not None and webhook["app_id"] != app_id:
                continue
            wanted = [i for i, stage in enumerate(stages) if _subscribes(webhook, stage[0])]
            if wanted:
                copied = copied or copy.deepcopy(stages)
                self._start(_webhook_target(webhook), [copied[i] for i in wanted], envelope)

    # -- targets and reports -------------------------------------------------------------

    def _receipt_targets(
        self, app_id: str, callback_url: object, triggers: tuple[str, ...]
    ) -> list[tuple[_Target, dict[str, Any] | None]]:
        """A send's ``callback_url`` (signed with the app's override secret, webhook
        ``None``), or else the app's webhooks subscribed to any of ``triggers``."""
        if isinstance(callback_url, str) and callback_url:
            app = self._store.apps.get(app_id) or {}
            settings: dict[str, Any] = app.get("callback_settings") or {}
            secret = str(settings.get("secret_for_overridden_callback_urls") or "")
            return [(_Target(callback_url, secret, app_id), None)]
        return [
            (_webhook_target(webhook), webhook)
            for webhook in self._store.webhooks.values()
            if webhook["app_id"] == app_id and any(_subscribes(webhook, t) for t in triggers)
        ]

    def _reports(
        self, about: dict[str, Any], who: dict[str, Any], metadata: str, mode: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``QUEUED_ON_CHANNEL`` report and the final ``DELIVERED`` / ``FAILED`` one."""
        queued = {**about, "status": "QUEUED_ON_CHANNEL", **who}
        rate = self.failure_rate
        if rate > 0 and self.rng.random() < rate:
            final = {**about, "status": "FAILED", **who, "reason": dict(FAILURE_REASON)}
        else:
            final = {**about, "status": "DELIVERED", **who}
        for report in (queued, final):
            report["metadata"] = metadata
            report["processing_mode"] = mode
        return queued, final

    def _start_all(
        self,
        targets: list[tuple[_Target, dict[str, Any] | None]],
        stages: list[Stage],
        envelope: Envelope,
    ) -> None:
        """Each target gets the stages it subscribes to (a ``callback_url`` gets all)."""
        for target, webhook in targets:
            wanted = [s for s in stages if webhook is None or _subscribes(webhook, s[0])]
            self._start(target, wanted, envelope)

    # -- delivery ------------------------------------------------------------------------

    def _start(self, target: _Target, stages: list[Stage], envelope: Envelope) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._run(target, stages, envelope))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        """Forget a finished delivery task; an emulator bug in it is logged, not lost."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.error("callback delivery crashed", exc_info=task.exception())

    async def _run(self, target: _Target, stages: list[Stage], envelope: Envelope) -> None:
        """Deliver ``stages`` to ``target`` one after the other."""
        for trigger, key, payload in stages:
            if self.delivery_delay > 0:
                await asyncio.sleep(self.delivery_delay)
            body: dict[str, Any] = {
                "app_id": target.app_id if envelope.app_id is None else envelope.app_id,
                "project_id": self._project_id,
                "accepted_time": envelope.accepted_time,
                "event_time": now_time(),
                "message_metadata": envelope.message_metadata,
            }
            if envelope.correlation_id is not None:
                body["correlation_id"] = envelope.correlation_id
            body[key] = payload
            await self._deliver(target, trigger, dumps(body))

    async def _deliver(self, target: _Target, trigger: str, body: bytes) -> None:
        """POST one callback until it is accepted or ``max_attempts`` attempts failed."""
        record = CallbackDelivery(target.url, trigger, body)
        self.log.append(record)
        session = self.open()  # already open, unless the app is served by another runner
        for attempt in range(1, max(1, self.max_attempts) + 1):
            if attempt > 1:
                await asyncio.sleep(self.retry_base * 2 ** (attempt - 2))
            headers = {"Content-Type": JSON_CONTENT_TYPE}
            if target.secret:
                headers.update(_signature_headers(target.secret, body))
            record.attempts, record.headers, record.status = attempt, headers, None
            await self._attempt(session, record)
            if record.delivered:
                self.delivered += 1
                return
        self.failed += 1

    async def _attempt(self, session: aiohttp.ClientSession, record: CallbackDelivery) -> None:
        """One POST of ``record``; sets its status, and ``delivered`` or ``last_error``."""
        timeout = self.timeout
        try:
            async with session.post(
                record.target,
                data=record.body,
                headers=record.headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                record.status = response.status
                await response.read()
        except TimeoutError:
            record.last_error = f"timed out after {timeout} s"
            return
        except (aiohttp.ClientError, OSError, ValueError) as error:
            record.last_error = f"{type(error).__name__}: {error}"
            return
        if 200 <= response.status < 300:
            record.delivered = True
        else:
            record.last_error = f"HTTP {response.status}"


def _signature_headers(secret: str, body: bytes) -> dict[str, str]:
    """The SDK's signer, imported on first use: its package pulls in the SDK's models,
    which the emulator (plain JSON) otherwise never loads."""
    from ..callbacks._signature import signature_headers

    return signature_headers(secret, body)


def _subscribes(webhook: dict[str, Any], trigger: str) -> bool:
    """Whether ``webhook`` is an HTTP webhook subscribed to ``trigger``."""
    return webhook.get("target_type", "HTTP") == "HTTP" and trigger in webhook["triggers"]


def _webhook_target(webhook: dict[str, Any]) -> _Target:
    return _Target(str(webhook["target"]), str(webhook.get("secret") or ""), webhook["app_id"])

"""The Batch API's seven routes (batch catalog §2), on their own base URL ``/batch``.

``Emulator.batch_url`` is ``{base_url}/batch``: the client reaches it through its
``batch_url`` override, so the Batch paths, which repeat the Conversation API's
(``/v1/projects/{project_id}/messages``), never collide with them. Requests go through the
same wrapper as every API route: credentials, scripts, fault plans, latency and (unless
``BatchSettings.shares_rate_limit`` is off) the project rate limit, one request each.

A batch becomes one stored message and one ledger entry per recipient, exactly as
``messages:send`` would store them (contact and conversation found or created, MESSAGE_SUBMIT
and MESSAGE_DELIVERY callbacks), with ``${name}`` filled from the recipient's parameters and
the merged metadata (recipient keys win, plus ``_batch_id``). The rules themselves, and
:class:`BatchSettings` for what the sources leave open, are in :mod:`._batch_rules`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
from collections.abc import Coroutine, Generator
from typing import Any, Final

import orjson
from aiohttp import web

from .. import _jsoncodec
from ._batch_rules import (
    MAX_CONTACTS,
    BatchSettings,
    merge_metadata,
    metadata_string,
    missing_parameters,
    parse_cancel,
    schedule,
    status_payload,
    substitution,
    time_json,
    transition,
    validate_send_batch,
)
from ._callbacks import Envelope, now_time
from ._clock import Clock
from ._contacts import CONTACT_FIELDS, validate_contact, with_app_ids
from ._envelope import ApiError, invalid_argument, json_response, not_found
from ._messages import BatchMessage, accept_send
from ._params import (
    Violations,
    empty_response,
    non_empty_str,
    parse_time,
    read_json_object,
    require_str,
)
from ._routing import ID, PROJECT, Context, RouteProvider, RouteSpec
from ._store import CONSENT_LISTS, StoredBatch

BATCH_PREFIX: Final = "/batch"
"""Where the Batch API's host is mounted on the emulator's one server."""
_BASE: Final = BATCH_PREFIX + PROJECT
_MESSAGES: Final = _BASE + "/messages"
_PASSED_ON: Final = (
    "callback_url",
    "channel_priority_order",
    "channel_properties",
    "ttl",
    "processing_strategy",
    "correlation_id",
)
"""Batch request fields every generated message is sent with."""
_SETTLE_POLL: Final = 0.005


async def _read_large_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, decoded by orjson (a thousand recipients decode several
    times faster); whatever orjson refuses is read as every route reads bodies."""
    raw = await request.read()
    try:
        body = orjson.loads(raw)
    except ValueError:
        return await read_json_object(request)
    if not _jsoncodec.is_object(body):
        return await read_json_object(request)
    return body


@contextlib.contextmanager
def _collector_paused() -> Generator[None, None, None]:
    """No cyclic garbage collection while a batch's messages are stored: a thousand
    messages make some ten thousand long-lived objects, and collections triggered among
    them (scanning the whole store) would take about as long as storing them. The previous
    state comes back afterwards; nothing here awaits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class BatchRuntime:
    """What the batch routes share with the :class:`Emulator`: the settings (replaceable at
    any time), the clock, and the background work (scheduled batches, contact jobs)."""

    __slots__ = ("batch_tasks", "clock", "freeze_stored", "jobs", "settings")

    def __init__(self, settings: BatchSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.freeze_stored = False
        """Standalone server only: after each batch, every object of the process is moved
        out of the cyclic collector's sight (``gc.freeze``), so a store of a million
        messages is not scanned again and again; freed by reference counting as usual."""
        self.jobs: set[asyncio.Task[None]] = set()
        """Contact jobs running."""
        self.batch_tasks: dict[str, asyncio.Task[None]] = {}
        """Batch ID -> the task waiting for its ``send_after`` or ``processing_delay``."""

    def start(self, work: Coroutine[Any, Any, None], *, batch_id: str | None = None) -> None:
        """Run ``work`` in the background, tracked (cancelled by :meth:`cancel_all`)."""
        task = asyncio.get_running_loop().create_task(work)
        if batch_id is None:
            self.jobs.add(task)
            task.add_done_callback(self.jobs.discard)
        else:
            self.batch_tasks[batch_id] = task
            task.add_done_callback(lambda _: self.batch_tasks.pop(batch_id, None))

    def stop(self, batch_id: str) -> None:
        """Cancel the task of one batch, if it has one."""
        task = self.batch_tasks.get(batch_id)
        if task is not None:
            task.cancel()

    def forget(self) -> None:
        """Cancel all background work (without waiting): the store was cleared."""
        for task in [*self.jobs, *self.batch_tasks.values()]:
            task.cancel()

    async def cancel_all(self) -> None:
        """Cancel the background work and wait for it."""
        tasks = [*self.jobs, *self.batch_tasks.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class BatchRoutes(RouteProvider):
    """SendBatch, CancelBatch, GetBatchStatusesByMetadata, GetBatchStatus,
    BatchCreateContacts, BatchDeleteContacts, BatchInsertConsents."""

    ROUTES = (
        RouteSpec("POST", _MESSAGES, "SendBatch", "send"),
        RouteSpec("DELETE", _MESSAGES, "CancelBatch", "cancel"),
        RouteSpec("GET", _MESSAGES, "GetBatchStatusesByMetadata", "by_metadata"),
        RouteSpec("GET", _MESSAGES + "/{batch_id:" + ID + "}", "GetBatchStatus", "get"),
        RouteSpec("POST", _BASE + "/contacts", "BatchCreateContacts", "create_contacts"),
        RouteSpec("DELETE", _BASE + "/contacts", "BatchDeleteContacts", "delete_contacts"),
        RouteSpec("POST", _BASE + "/consents", "BatchInsertConsents", "insert_consents"),
    )

    __slots__ = ("_runtime",)

    def __init__(self, context: Context, runtime: BatchRuntime) -> None:
        super().__init__(context)
        self._runtime = runtime

    @property
    def _settings(self) -> BatchSettings:
        return self._runtime.settings

    def _admit(self, request: web.Request) -> BatchSettings:
        """The settings, after the project-level checks: enabled, and the credential kind."""
        settings = self._runtime.settings
        if not settings.enabled:
            raise ApiError(403, "")
        header = request.headers.get("Authorization", "")
        if not settings.accept_basic_auth and header[:6].lower() == "basic ":
            raise ApiError(401, "Basic authentication is not accepted on this host")
        return settings

    # -- messages batches ----------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        """SendBatch: validate, then store the batch; an immediate one is processed at once
        (or after ``processing_delay``), a scheduled one when the clock reaches it."""
        settings = self._admit(request)
        body = await _read_large_object(request)
        problems = validate_send_batch(body, settings)
        if not problems and settings.missing_parameter == "reject":
            problems = missing_parameters(body)
        now = self._runtime.clock.now()
        effective, refused = schedule(parse_time(body.get("send_after")), now, settings)
        if refused is not None:
            problems.append(("send_after", refused))
        if problems:
            raise invalid_argument(problems)
        batch_id = self._store.new_id()
        if effective is not None:
            shown: str | None = time_json(effective)
        elif settings.immediate_send_after == "accepted_time":
            shown = time_json(now)
        else:
            shown = None
        batch = StoredBatch(
            batch_id=batch_id,
            app_id=body["app_id"],
            status="SCHEDULED" if effective is not None else "READY",
            meta_data=dict(body.get("batch_metadata") or {}),
            send_after=effective,
            send_after_json=shown,
            request=body,
            accepted=now,
            message_ids=[],
        )
        self._store.batches[batch_id] = batch
        self._announce(batch, terminal=False)
        if effective is not None or settings.processing_delay > 0:
            self._runtime.start(self._run(batch), batch_id=batch_id)
        else:
            self._process(batch)
        answer: dict[str, Any] = {"batch_id": batch_id}
        if shown is not None:
            answer["send_after"] = shown
        return json_response(answer)

    async def _run(self, batch: StoredBatch) -> None:
        """Wait for ``send_after`` (if any), become READY, wait ``processing_delay``, then
        generate the messages; a batch cancelled or forgotten meanwhile is left alone."""
        if batch.send_after is not None:
            await self._runtime.clock.sleep_until(batch.send_after)
            if not self._current(batch) or not self._move(batch, "due"):
                return
            self._announce(batch, terminal=False)
        delay = self._settings.processing_delay
        if delay > 0:
            await asyncio.sleep(delay)
        if self._current(batch):
            self._process(batch)

    def _current(self, batch: StoredBatch) -> bool:
        return self._store.batches.get(batch.batch_id) is batch

    def _move(self, batch: StoredBatch, event: str) -> bool:
        """Apply ``event`` to ``batch``'s status; whether it changed."""
        status = transition(batch.status, event)
        if status is None:
            return False
        batch.status = status
        return True

    def _process(self, batch: StoredBatch) -> None:
        """One stored message (and ledger entry, and callbacks) per recipient; PROCESSED."""
        if not self._move(batch, "process"):
            return
        with _collector_paused():
            self._generate(batch)
            if self._runtime.freeze_stored:
                gc.freeze()
        self._announce(batch, terminal=True)

    def _generate(self, batch: StoredBatch) -> None:
        """Store the batch's messages, one per recipient, in order."""
        settings = self._settings
        body = batch.request
        batch_id = batch.batch_id
        fill = substitution(
            body["message"], missing="empty" if settings.missing_parameter == "empty" else "literal"
        )
        shared = {name: body[name] for name in _PASSED_ON if body.get(name) is not None}
        base = settings.message_index_base
        message_metadata = body.get("message_metadata")
        conversation_metadata = body.get("conversation_metadata")
        # What a recipient without metadata of its own gets, made once and shared.
        common_metadata = metadata_string(merge_metadata(message_metadata, None, batch_id))
        common_conversation = merge_metadata(conversation_metadata, None, batch_id)
        for index, item in enumerate(body["recipient_and_params"]):
            own = item.get("message_metadata")
            own_conversation = item.get("conversation_metadata")
            conversation = (
                merge_metadata(conversation_metadata, own_conversation, batch_id)
                if own_conversation
                else common_conversation
            )
            send = {
                "app_id": batch.app_id,
                "recipient": item["recipient"],
                "message": fill(item.get("parameters") or {}),
                **shared,
                "message_metadata": metadata_string(merge_metadata(message_metadata, own, batch_id))
                if own
                else common_metadata,
                "conversation_metadata": conversation,
            }
            extra = (
                {"batch_id": batch_id, "message_index": index + base}
                if settings.failed_report_fields
                else None
            )
            message_id, _ = accept_send(
                self._store,
                self._ledger,
                self._callbacks,
                send,
                batch=BatchMessage(batch_id, conversation, extra),
            )
            batch.message_ids.append(message_id)

    def _announce(self, batch: StoredBatch, *, terminal: bool) -> None:
        """BATCH_STATUS_UPDATE for the state ``batch`` just entered, as the settings say."""
        wanted = self._settings.status_callbacks
        if wanted == "none" or (wanted == "terminal" and not terminal) or not self._store.webhooks:
            return
        payload = status_payload(
            batch.batch_id,
            batch.status,
            time_json(batch.send_after) if batch.send_after is not None else None,
            batch.meta_data,
        )
        stage = ("BATCH_STATUS_UPDATE", "batch_status_update_notification", payload)
        self._callbacks.notify(batch.app_id, [stage], Envelope(time_json(batch.accepted)))

    async def cancel(self, request: web.Request) -> web.Response:
        """CancelBatch: a SCHEDULED batch (by ID or metadata) becomes CANCELLED; anything
        else (immediate, processed, unknown) changes nothing, still 200 ``{}``."""
        settings = self._admit(request)
        raw = await request.read()
        body = await read_json_object(request) if raw.strip() else {}
        target = parse_cancel(body, request.query, settings.cancel_metadata_shapes)
        if target is None:
            if settings.cancel_malformed == "reject":
                raise invalid_argument(
                    [("batch_id", "give batch_id, or a batch metadata key and value")]
                )
            return empty_response()
        if target.batch_id is not None:
            one = self._store.batches.get(target.batch_id)
            named = [one] if one is not None else []
        else:
            key = target.key or ""
            named = [
                batch
                for batch in self._store.batches.values()
                if key in batch.meta_data and str(batch.meta_data[key]) == target.value
            ]
        for batch in named:
            if self._move(batch, "cancel"):
                self._runtime.stop(batch.batch_id)
                self._announce(batch, terminal=True)
        return empty_response()

    async def by_metadata(self, request: web.Request) -> web.Response:
        """GetBatchStatusesByMetadata: ``metadataKey`` and ``metadataValue`` required."""
        settings = self._admit(request)
        key = request.query.get("metadataKey")
        value = request.query.get("metadataValue")
        problems: Violations = [
            (name, "Field is mandatory")
            for name, given in (("metadataKey", key), ("metadataValue", value))
            if not given
        ]
        if problems:
            raise invalid_argument(problems)
        found = [
            batch.json()
            for batch in self._store.batches.values()
            if key in batch.meta_data and str(batch.meta_data[key]) == value
        ]
        return json_response(found if settings.list_response == "array" else {"batches": found})

    async def get(self, request: web.Request) -> web.Response:
        """GetBatchStatus: 404 for an unknown ID."""
        self._admit(request)
        batch_id = request.match_info["batch_id"]
        batch = self._store.batches.get(batch_id)
        if batch is None:
            raise not_found("batch not found")
        return json_response(batch.json())

    # -- contacts and consents -------------------------------------------------------------

    def _id_list(self, body: dict[str, Any], name: str, limit: int) -> list[Any]:
        items = body.get(name)
        if not _jsoncodec.is_array(items) or not 1 <= len(items) <= limit:
            given = len(items) if _jsoncodec.is_array(items) else "no list"
            raise invalid_argument(
                [(name, f"Field is mandatory: 1 to {limit} items ({given} given)")]
            )
        return items

    async def create_contacts(self, request: web.Request) -> web.Response:
        """BatchCreateContacts: answers ``{}`` at once; creates the valid contacts in the
        background, each announced by CONTACT_CREATE (invalid ones are skipped silently)."""
        self._admit(request)
        items = self._id_list(await read_json_object(request), "contacts", MAX_CONTACTS)
        self._runtime.start(self._create_contacts(copy.deepcopy(items)))
        return empty_response()

    async def _create_contacts(self, items: list[Any]) -> None:
        await asyncio.sleep(0)
        for item in items:
            if not _jsoncodec.is_object(item) or item.get("language") is None:
                continue
            contact: dict[str, Any] = {"id": self._store.new_id()}
            for name, default in CONTACT_FIELDS.items():
                value = item.get(name)
                contact[name] = value if value is not None else copy.deepcopy(default)
            if validate_contact(contact):
                continue
            self._store.add_contact(with_app_ids(contact))
            self._contact_callback("CONTACT_CREATE", "contact_create_notification", contact)

    async def delete_contacts(self, request: web.Request) -> web.Response:
        """BatchDeleteContacts: answers ``{}`` at once; deletes the known contacts in the
        background, each announced by CONTACT_DELETE (unknown IDs are skipped silently)."""
        self._admit(request)
        ids = self._id_list(await read_json_object(request), "contact_ids", MAX_CONTACTS)
        self._runtime.start(self._delete_contacts(ids))
        return empty_response()

    async def _delete_contacts(self, ids: list[Any]) -> None:
        await asyncio.sleep(0)
        for contact_id in ids:
            contact = self._store.contacts.get(contact_id) if isinstance(contact_id, str) else None
            if contact is None:
                continue
            self._store.delete_contact(contact_id)
            self._contact_callback("CONTACT_DELETE", "contact_delete_notification", contact)

    def _contact_callback(self, trigger: str, key: str, contact: dict[str, Any]) -> None:
        if self._store.webhooks:
            stage = (trigger, key, {"contact": contact})
            self._callbacks.notify(None, [stage], Envelope(now_time(), app_id=""))

    async def insert_consents(self, request: web.Request) -> web.Response:
        """BatchInsertConsents: each valid record puts its identification (without a
        leading ``+``) on the app's list, audited ORIGIN_API; invalid records are skipped."""
        settings = self._admit(request)
        body = await read_json_object(request)
        problems: Violations = []
        app_id = require_str(body, "app_id", problems)
        records = body.get("consent_records")
        if (
            not _jsoncodec.is_array(records)
            or not 1 <= len(records) <= settings.max_consent_records
        ):
            limit = settings.max_consent_records
            problems.append(("consent_records", f"Field is mandatory: 1 to {limit} records"))
        if problems or not _jsoncodec.is_array(records):
            raise invalid_argument(problems)
        for record in records:
            if not _jsoncodec.is_object(record):
                continue
            identification = record.get("identification")
            kind = record.get("consent_type")
            if non_empty_str(identification) and kind in CONSENT_LISTS:
                self._store.add_consent(app_id, str(kind), str(identification).lstrip("+"))
        return json_response({"batch_id": self._store.new_id()})


async def batches_settled(
    runtime: BatchRuntime,
    batches: dict[str, StoredBatch],
    timeout: float,  # noqa: ASYNC109 - a deadline, as Emulator.callbacks_settled
) -> None:
    """Wait until no batch is due but unprocessed and no contact job runs."""

    def busy() -> bool:
        return (
            bool(runtime.jobs)
            or any(batch.status == "READY" for batch in batches.values())
            or _due_but_scheduled(runtime, batches)
        )

    async with asyncio.timeout(timeout):
        while busy():  # noqa: ASYNC110 - polled: readiness comes from the clock and the store
            await asyncio.sleep(_SETTLE_POLL)


async def due_batches_woken(
    runtime: BatchRuntime,
    batches: dict[str, StoredBatch],
    timeout: float,  # noqa: ASYNC109 - a deadline, as batches_settled
) -> None:
    """Wait until no batch due by the clock is still SCHEDULED: each has become READY
    (and, without a ``processing_delay``, PROCESSED). For a clock just moved forward."""
    async with asyncio.timeout(timeout):
        while _due_but_scheduled(runtime, batches):  # noqa: ASYNC110 - polled, as above
            await asyncio.sleep(_SETTLE_POLL)


def _due_but_scheduled(runtime: BatchRuntime, batches: dict[str, StoredBatch]) -> bool:
    now = runtime.clock.now()
    return any(
        batch.status == "SCHEDULED" and batch.send_after is not None and batch.send_after <= now
        for batch in batches.values()
    )

"""``client.batches``: the Conversation Batch API (batch catalog §2), labelled beta by Sinch.

It lives on its own host (``ClientConfig.batch_url``, by default the region's, e.g.
``https://eu.conversationbatch.api.sinch.com``) and uses the
client's one transport: the same OAuth2 token, rate limiter and retry policy. Sending a
batch is a POST, so it is never repeated after an answer that may mean it was processed
(a second batch would send every message again); status calls and cancels are retried.

Inputs are checked before any request: 1 to 1,000 recipients or contacts, string maps for
parameters and metadata, no caller-set ``_batch_id`` (the API reserves it).
"""

from __future__ import annotations

import builtins
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .. import _jsoncodec
from .._checked import as_object, is_any_mapping
from .._config import AuthMethod, ClientConfig
from .._core.call import Reported
from .._errors import ConfigurationError, SerializationError
from .._http.transport import Transport
from .._serde import UnknownVariant, structure, unstructure
from ..models import (
    AppMessage,
    Batch,
    CancelBatchRequest,
    ConsentRecord,
    ContactCreateRequest,
    ContactRecipient,
    ConversationChannel,
    CreateContactsBatchRequest,
    DeleteContactsBatchRequest,
    IdentifiedRecipient,
    InsertConsentsRequest,
    InsertConsentsResponse,
    ProcessingStrategy,
    Recipient,
    RecipientAndParam,
    SendBatchRequest,
    SendBatchResponse,
)
from ..models._messages import AppMessageContent
from ._base import Resource, endpoint, query, require, segment
from ._messages import as_app_message, format_ttl

__all__ = [
    "BATCH_ID_KEY",
    "MAX_CONTACTS",
    "MAX_RECIPIENTS",
    "BatchesResource",
    "check_send_batch",
    "read_batches",
]

MAX_RECIPIENTS = 1000
"""Recipients per send request (catalog §1.4)."""
MAX_CONTACTS = 1000
"""Contacts per bulk create, contact IDs per bulk delete (catalog §1.4)."""
BATCH_ID_KEY = "_batch_id"
"""The metadata key the API adds to every generated message; callers may not set it."""

_PATH = "/v1/projects/{project_id}"
_RECIPIENT_TYPES = (ContactRecipient, IdentifiedRecipient, UnknownVariant)


def _check_count(name: str, count: int, maximum: int) -> None:
    if not 1 <= count <= maximum:
        raise ValueError(f"{name} must hold 1 to {maximum:,} items, got {count:,}")


def _check_map(name: str, values: object, *, reserved: bool = False) -> None:
    """A string-to-string map (None allowed); ``reserved``: ``_batch_id`` is refused."""
    if values is None:
        return
    if not is_any_mapping(values):
        raise TypeError(f"{name} must be a mapping of str to str, got {type(values).__name__}")
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{name} must map str to str, got {key!r}: {type(value).__name__}")
    if reserved and BATCH_ID_KEY in values:
        raise ValueError(f"{name} may not set {BATCH_ID_KEY!r}: the API reserves it")


def _check_recipient(index: int, item: object) -> None:
    where = f"recipient_and_params[{index}]"
    if not isinstance(item, RecipientAndParam):
        raise TypeError(f"{where} must be a RecipientAndParam, got {type(item).__name__}")
    if not isinstance(as_object(item.recipient), _RECIPIENT_TYPES):
        raise TypeError(f"{where}.recipient must be a Recipient")
    _check_map(f"{where}.parameters", item.parameters)
    _check_map(f"{where}.message_metadata", item.message_metadata, reserved=True)
    _check_map(f"{where}.conversation_metadata", item.conversation_metadata, reserved=True)


def check_send_batch(request: SendBatchRequest) -> None:
    """Raise ``ValueError`` / ``TypeError`` for a request the API would refuse (or that
    would misbehave): no ``app_id``, 0 or more than 1,000 recipients, maps that are not
    ``str -> str``, a caller-set ``_batch_id``, a naive ``send_after``. Pure."""
    if not isinstance(as_object(request), SendBatchRequest):
        raise TypeError(f"expected a SendBatchRequest, got {type(request).__name__}")
    require(app_id=request.app_id)
    if not isinstance(as_object(request.message), AppMessage):
        raise TypeError("message must be an AppMessage")
    recipients = request.recipient_and_params
    if not isinstance(as_object(recipients), list):
        raise TypeError("recipient_and_params must be a list")
    _check_count("recipient_and_params", len(recipients), MAX_RECIPIENTS)
    for index, item in enumerate(recipients):
        _check_recipient(index, item)
    _check_map("batch_metadata", request.batch_metadata)
    _check_map("message_metadata", request.message_metadata, reserved=True)
    _check_map("conversation_metadata", request.conversation_metadata, reserved=True)
    _check_map("channel_properties", request.channel_properties)
    send_after = request.send_after
    if send_after is not None and (
        not isinstance(as_object(send_after), datetime) or send_after.utcoffset() is None
    ):
        raise ValueError("send_after must be a timezone-aware datetime")


def as_recipient_and_param(item: RecipientAndParam | Recipient) -> RecipientAndParam:
    """Accept a ``RecipientAndParam`` or a bare recipient (no parameters, no metadata)."""
    if isinstance(item, RecipientAndParam):
        return item
    if isinstance(as_object(item), _RECIPIENT_TYPES):
        return RecipientAndParam(recipient=item)
    raise TypeError(f"expected a RecipientAndParam or a Recipient, got {type(item).__name__}")


def read_batches(data: Any) -> builtins.list[Batch]:
    """The batches of a status-by-metadata answer: a bare JSON array (as the .NET fork
    reads it), or an object holding one (``{"batches": [...]}``, or its only array);
    catalog §8.6 leaves the container open. ``null`` or an object without an array is no
    batch; an object with several arrays, none named ``batches``, is not understood
    (``SerializationError``: "no batch" would be a guess)."""
    if data is None:
        return []
    if _jsoncodec.is_object(data):
        lists = [value for value in data.values() if _jsoncodec.is_array(value)]
        if "batches" not in data and len(lists) > 1:
            raise SerializationError(
                f"a status-by-metadata answer with {len(lists)} arrays and none named "
                "'batches': which one holds the batches is unknown"
            )
        items = data.get("batches", lists[0] if lists else [])
    else:
        items = data
    return structure(items, builtins.list[Batch])


def _dict(values: Mapping[str, str] | None) -> dict[str, str] | None:
    return None if values is None else dict(values)


class BatchesResource(Resource):
    """The Batch API: sends to up to 1,000 recipients per request, their status and
    cancellation, bulk contact create/delete, consent inserts."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        super().__init__(transport, config)
        self._basic = config.auth is AuthMethod.BASIC
        self._messages = self._batch_url("messages")

    def _check_auth(self) -> None:
        if self._basic:
            raise ConfigurationError(
                "the Batch API documents OAuth2 bearer tokens only: use auth='oauth'"
            )

    async def _call_ignoring(self, method: str, url: str, payload: Any) -> None:
        """A call whose successful answer's body is undocumented: whatever it holds (even
        no JSON) is ignored."""
        self._check_auth()
        result = await self._transport.request(
            method, url, payload=payload, decode=_ignore, config=self._config
        )
        result.unwrap()

    @endpoint("POST", f"{_PATH}/messages", api="batch")
    async def send(
        self,
        *,
        app_id: str,
        message: AppMessage | AppMessageContent,
        recipients: Sequence[RecipientAndParam | Recipient],
        processing_strategy: ProcessingStrategy | str | None = None,
        batch_metadata: Mapping[str, str] | None = None,
        message_metadata: Mapping[str, str] | None = None,
        conversation_metadata: Mapping[str, str] | None = None,
        send_after: datetime | None = None,
        callback_url: str | None = None,
        channel_priority_order: builtins.list[ConversationChannel | str] | None = None,
        ttl: int | timedelta | None = None,
        channel_properties: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> SendBatchResponse:
        """Send ``message`` to each of ``recipients`` (1 to 1,000); acceptance only.

        ``${name}`` in any string of ``message`` is filled from each recipient's
        ``parameters``. With ``send_after`` (an aware datetime, at most 7 days ahead) the
        batch is scheduled and can be cancelled until then; the answer's ``send_after`` is
        the effective time (the API may round it up).
        """
        if isinstance(recipients, str | bytes) or not isinstance(as_object(recipients), Iterable):
            raise TypeError("recipients must be a sequence of RecipientAndParam or Recipient")
        request = SendBatchRequest(
            app_id=app_id,
            message=as_app_message(message),
            recipient_and_params=[as_recipient_and_param(item) for item in recipients],
            processing_strategy=processing_strategy,
            batch_metadata=_dict(batch_metadata),
            message_metadata=_dict(message_metadata),
            conversation_metadata=_dict(conversation_metadata),
            send_after=send_after,
            callback_url=callback_url,
            channel_priority_order=channel_priority_order,
            ttl=None if ttl is None else format_ttl(ttl),
            channel_properties=_dict(channel_properties),
            correlation_id=correlation_id,
        )
        return await self.send_request(request)

    @endpoint("POST", f"{_PATH}/messages", api="batch")
    async def send_request(self, request: SendBatchRequest) -> SendBatchResponse:
        """Send a prepared :class:`SendBatchRequest`, checked as :meth:`send` checks."""
        return (await self._send_reported(request)).unwrap()

    def _send_reported(
        self, request: SendBatchRequest
    ) -> Coroutine[Any, Any, Reported[SendBatchResponse]]:
        """:meth:`send_request` with its result as a value, and the call's report (what
        bulk sends record); a refused request raises at once."""
        check_send_batch(request)
        self._check_auth()
        return self._call_reported("POST", self._messages, body=request, into=SendBatchResponse)

    @endpoint("GET", f"{_PATH}/messages/{{batch_id}}", api="batch")
    async def get(self, *, batch_id: str) -> Batch:
        """The status of one batch (``NotFoundError`` for an unknown ID)."""
        require(batch_id=batch_id)
        self._check_auth()
        return await self._call("GET", self._batch_url(f"messages/{segment(batch_id)}"), into=Batch)

    @endpoint("GET", f"{_PATH}/messages", api="batch")
    async def list_by_metadata(self, *, key: str, value: str) -> builtins.list[Batch]:
        """Every batch whose ``batch_metadata`` has ``key`` = ``value`` (no pagination)."""
        require(key=key, value=value)
        self._check_auth()
        return await self._call_read(
            "GET",
            self._messages,
            params=query(metadataKey=key, metadataValue=value),
            read=read_batches,
        )

    @endpoint("DELETE", f"{_PATH}/messages", api="batch")
    async def cancel(
        self,
        batch_id: str | None = None,
        *,
        metadata_key: str | None = None,
        metadata_value: str | None = None,
    ) -> None:
        """Cancel a scheduled batch by ID, or every batch whose metadata has
        ``metadata_key`` = ``metadata_value``.

        Cancelling is asynchronous and the API answers 200 even when nothing is cancelled
        (an immediate or already processed batch, an unknown ID): check with :meth:`get`.
        The metadata form's wire shape is a guess (see :class:`CancelBatchRequest`).
        """
        if batch_id is not None:
            if metadata_key is not None or metadata_value is not None:
                raise ValueError("pass batch_id, or metadata_key and metadata_value, not both")
            require(batch_id=batch_id)
            request = CancelBatchRequest(batch_id=batch_id)
        else:
            if metadata_key is None and metadata_value is None:
                raise ValueError("pass batch_id, or metadata_key and metadata_value")
            require(metadata_key=metadata_key, metadata_value=metadata_value)
            request = CancelBatchRequest(metadata_key=metadata_key, metadata_value=metadata_value)
        await self._call_ignoring("DELETE", self._messages, unstructure(request))

    @endpoint("DELETE", f"{_PATH}/messages", api="batch")
    async def cancel_raw(self, body: Mapping[str, Any]) -> None:
        """Send any cancel body as is (for a shape :meth:`cancel` does not build)."""
        if not isinstance(as_object(body), Mapping) or not body:
            raise ValueError("body must be a non-empty mapping")
        await self._call_ignoring("DELETE", self._messages, dict(body))

    @endpoint("POST", f"{_PATH}/contacts", api="batch")
    async def create_contacts(self, contacts: Sequence[ContactCreateRequest]) -> None:
        """Start creating up to 1,000 contacts; each one created later gets a
        CONTACT_CREATE callback (failures are not reported)."""
        items = builtins.list(contacts)
        _check_count("contacts", len(items), MAX_CONTACTS)
        for index, contact in enumerate(items):
            if not isinstance(as_object(contact), ContactCreateRequest):
                got = type(contact).__name__
                raise TypeError(f"contacts[{index}] must be a ContactCreateRequest, got {got}")
        body = unstructure(CreateContactsBatchRequest(contacts=items))
        await self._call_ignoring("POST", self._batch_url("contacts"), body)

    @endpoint("DELETE", f"{_PATH}/contacts", api="batch")
    async def delete_contacts(self, contact_ids: Sequence[str]) -> None:
        """Start deleting up to 1,000 contacts; each one deleted later gets a
        CONTACT_DELETE callback (unknown IDs are skipped silently)."""
        if isinstance(contact_ids, str):
            raise TypeError("contact_ids must be a sequence of IDs, not one string")
        ids = builtins.list(contact_ids)
        _check_count("contact_ids", len(ids), MAX_CONTACTS)
        if not all(isinstance(as_object(i), str) and i for i in ids):
            raise ValueError("contact_ids must be non-empty strings")
        body = unstructure(DeleteContactsBatchRequest(contact_ids=ids))
        await self._call_ignoring("DELETE", self._batch_url("contacts"), body)

    @endpoint("POST", f"{_PATH}/consents", api="batch")
    async def insert_consents(
        self, *, app_id: str, consent_records: Sequence[ConsentRecord]
    ) -> InsertConsentsResponse:
        """Put subjects on ``app_id``'s opt-out lists. On failure any subset may have been
        stored: sending the same records again is safe."""
        require(app_id=app_id)
        records = builtins.list(consent_records)
        if not records:
            raise ValueError("consent_records must hold at least one record")
        for index, record in enumerate(records):
            if not isinstance(as_object(record), ConsentRecord):
                got = type(record).__name__
                raise TypeError(f"consent_records[{index}] must be a ConsentRecord, got {got}")
            require(identification=record.identification, consent_type=record.consent_type)
        self._check_auth()
        return await self._call(
            "POST",
            self._batch_url("consents"),
            body=InsertConsentsRequest(app_id=app_id, consent_records=records),
            into=InsertConsentsResponse,
        )


def _ignore(response: object) -> None:
    """A successful answer whose body means nothing (the cancel's)."""
    return

"""Contacts (catalog §2.2, §3.8) over ``store.contacts`` — the same contacts sends create.

Several contacts may hold one channel identity (the API's identity conflicts); sends to that
identity reach the oldest holder. Deleting a contact deletes its conversations with their
messages and events; merging moves all of them to the kept contact. Identity conflicts are
computed per request and listed by identity; their page cursor is a position in that list.

Contacts belong to the project, not to an app, so CONTACT_CREATE / UPDATE / DELETE / MERGE
callbacks go to the subscribed webhooks of every app, with ``"app_id": ""`` in the envelope
as in Sinch's own sample (catalog §4.3). Only these API operations notify: contacts that
sends and inbound messages create implicitly, and conversations deleted with their contact,
send no callback. A stored channel identity always has an ``app_id`` (``""`` unless the
identity is app-scoped and the request gave one), as the API answers them.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._callbacks import Envelope, now_time
from ._envelope import invalid_argument, json_response, not_found
from ._masks import apply_update, parse_update_mask
from ._pagination import paginate
from ._params import (
    MANDATORY,
    Params,
    Violations,
    empty_response,
    non_empty_str,
    read_json_object,
    require_str,
    validate_channel_identities,
    validate_recipient,
)
from ._routing import ID, PROJECT, RouteProvider, RouteSpec

CONTACT_FIELDS: Final[dict[str, Any]] = {
    "channel_identities": [],
    "channel_priority": [],
    "display_name": "Unknown",
    "email": "",
    "external_id": "",
    "metadata": "",
    "language": "UNSPECIFIED",
}
"""Writable contact fields -> their default (and cleared) value."""

PROFILE_CHANNELS: Final = frozenset({"MESSENGER", "INSTAGRAM", "VIBER", "LINE"})
MAX_PAGE: Final = 20
_METADATA_LIMIT: Final = 1024

_CONTACTS: Final = PROJECT + "/contacts"
_CONTACT: Final = _CONTACTS + "/{contact_id:" + ID + "}"


def validate_contact(contact: dict[str, Any]) -> Violations:
    """Every problem of a complete contact (after defaults or an update were applied)."""
    problems = validate_channel_identities(
        contact.get("channel_identities"), "channel_identities", required=True
    )
    priority = contact.get("channel_priority")
    if not _jsoncodec.is_array(priority) or not all(non_empty_str(c) for c in priority):
        problems.append(("channel_priority", "must be a list of channels"))
    for name in ("display_name", "email", "external_id", "metadata"):
        if not isinstance(contact.get(name), str):
            problems.append((name, "must be a string"))
    if len(str(contact.get("metadata", ""))) > _METADATA_LIMIT:
        problems.append(("metadata", f"must be at most {_METADATA_LIMIT} characters"))
    if not non_empty_str(contact.get("language")):
        problems.append(("language", f"{MANDATORY} and must be a non-empty string"))
    return problems


def with_app_ids(contact: dict[str, Any]) -> dict[str, Any]:
    """``contact`` with ``"app_id": ""`` on each channel identity that has none."""
    for item in contact["channel_identities"]:
        if item.get("app_id") is None:
            item["app_id"] = ""
    return contact


def _holds(contact: dict[str, Any], channel: str, identity: str) -> bool:
    return any(
        item["channel"] == channel and item["identity"] == identity
        for item in contact["channel_identities"]
    )


class ContactRoutes(RouteProvider):
    """The eight contact operations."""

    ROUTES = (
        RouteSpec("GET", _CONTACTS, "ListContacts", "list_contacts"),
        RouteSpec("POST", _CONTACTS, "CreateContact", "create"),
        RouteSpec("GET", _CONTACT, "GetContact", "get"),
        RouteSpec("PATCH", _CONTACT, "UpdateContact", "update"),
        RouteSpec("DELETE", _CONTACT, "DeleteContact", "delete"),
        RouteSpec("POST", _CONTACTS + "/{contact_id:" + ID + "}:merge", "MergeContact", "merge"),
        RouteSpec("POST", _CONTACTS + ":getChannelProfile", "GetChannelProfile", "channel_profile"),
        RouteSpec("GET", _CONTACTS + ":identityConflicts", "ListIdentityConflicts", "conflicts"),
    )

    __slots__ = ()

    def _lookup(self, request: web.Request) -> dict[str, Any]:
        contact_id = request.match_info["contact_id"]
        contact = self._store.contacts.get(contact_id)
        if contact is None:
            raise not_found(f"Contact {contact_id} not found")
        return contact

    def _notify(self, trigger: str, key: str, payload: dict[str, Any]) -> None:
        """One contact callback to every app's webhooks subscribed to ``trigger``."""
        if self._store.webhooks:
            envelope = Envelope(now_time(), app_id="")
            self._callbacks.notify(None, [(trigger, key, payload)], envelope)

    async def list_contacts(self, request: web.Request) -> web.Response:
        """ListContacts: all, or by ``external_id``, or by ``channel`` + ``identity``."""
        params = Params(request.query.get)
        external_id = params.string("external_id")
        channel = params.string("channel")
        identity = params.string("identity")
        page_size = params.page_size(MAX_PAGE)
        if (channel is None) != (identity is None):
            missing = "identity" if identity is None else "channel"
            params.problems.append((missing, "channel and identity must be given together"))
        elif external_id is not None and channel is not None:
            params.problems.append(("external_id", "not allowed with channel and identity"))
        params.raise_if_invalid()

        def matches(contact: dict[str, Any]) -> bool:
            if external_id is not None:
                return bool(contact["external_id"] == external_id)
            if channel is not None and identity is not None:
                return _holds(contact, channel, identity)
            return True

        page, next_token = paginate(
            ((n, c) for n, c in self._store.contacts.numbered() if matches(c)),
            tokens=self._tokens,
            scope=f"ListContacts|{external_id}|{channel}|{identity}",
            token=request.query.get("page_token"),
            page_size=page_size,
        )
        return json_response({"contacts": page, "next_page_token": next_token})

    async def create(self, request: web.Request) -> web.Response:
        """CreateContact: ``channel_identities`` (at least one) and ``language`` required."""
        body = await read_json_object(request)
        contact: dict[str, Any] = {"id": self._store.new_id()}
        for name, default in CONTACT_FIELDS.items():
            value = body.get(name)
            contact[name] = copy.deepcopy(value if value is not None else default)
        problems = validate_contact(contact)
        if body.get("language") is None:
            problems.append(("language", MANDATORY))
        if problems:
            raise invalid_argument(problems)
        self._store.add_contact(with_app_ids(contact))
        self._notify("CONTACT_CREATE", "contact_create_notification", {"contact": contact})
        return json_response(contact)

    async def get(self, request: web.Request) -> web.Response:
        """GetContact."""
        return json_response(self._lookup(request))

    async def update(self, request: web.Request) -> web.Response:
        """UpdateContact: masked fields (or the fields in the body) change."""
        contact = self._lookup(request)
        mask = parse_update_mask(request, CONTACT_FIELDS)
        body = await read_json_object(request)
        updated = apply_update(contact, body, mask, CONTACT_FIELDS)
        problems = validate_contact(updated)
        if problems:
            raise invalid_argument(problems)
        contact.clear()
        contact.update(with_app_ids(updated))
        self._store.reindex_contacts()
        self._notify("CONTACT_UPDATE", "contact_update_notification", {"contact": contact})
        return json_response(contact)

    async def delete(self, request: web.Request) -> web.Response:
        """DeleteContact: also deletes the contact's conversations, messages and events."""
        contact = self._lookup(request)
        self._store.delete_contact(contact["id"])
        self._notify("CONTACT_DELETE", "contact_delete_notification", {"contact": contact})
        return empty_response()

    async def merge(self, request: web.Request) -> web.Response:
        """MergeContact: ``source_id`` is merged into the contact of the path and deleted."""
        destination = self._lookup(request)
        body = await read_json_object(request)
        problems: Violations = []
        source_id = require_str(body, "source_id", problems)
        if source_id and source_id == destination["id"]:
            problems.append(("source_id", "must differ from the destination contact"))
        elif source_id and source_id not in self._store.contacts:
            problems.append(("source_id", f"contact {source_id} does not exist"))
        strategy = body.get("strategy")
        if strategy is not None and strategy != "MERGE":
            problems.append(("strategy", "must be MERGE"))
        if problems:
            raise invalid_argument(problems)
        deleted = copy.deepcopy(self._store.contacts[source_id])
        preserved = self._store.merge_contacts(destination["id"], source_id)
        self._notify(
            "CONTACT_MERGE",
            "contact_merge_notification",
            {"preserved_contact": preserved, "deleted_contact": deleted},
        )
        return json_response(preserved)

    async def channel_profile(self, request: web.Request) -> web.Response:
        """GetChannelProfile: a deterministic ``profile_name`` for the recipient."""
        body = await read_json_object(request)
        problems: Violations = []
        require_str(body, "app_id", problems)
        problems.extend(validate_recipient(body.get("recipient")))
        channel = body.get("channel")
        if channel not in PROFILE_CHANNELS:
            problems.append(("channel", f"must be one of {', '.join(sorted(PROFILE_CHANNELS))}"))
        if problems:
            raise invalid_argument(problems)
        identity = self._profile_identity(body["recipient"], str(channel))
        holder = self._store.contact_of_identity(str(channel), identity)
        name = self._store.contacts[holder]["display_name"] if holder else ""
        if name in ("", "Unknown"):
            name = f"{str(channel).title()} user {identity}"
        return json_response({"profile_name": name})

    def _profile_identity(self, recipient: dict[str, Any], channel: str) -> str:
        contact_id = recipient.get("contact_id")
        if contact_id is None:
            identities = recipient["identified_by"]["channel_identities"]
            on_channel = [i for i in identities if i["channel"] == channel]
            return str((on_channel or identities)[0]["identity"])
        contact = self._store.contacts.get(contact_id)
        if contact is None:
            raise invalid_argument(
                [("recipient.contact_id", f"contact {contact_id} does not exist")]
            )
        for item in contact["channel_identities"]:
            if item["channel"] == channel:
                return str(item["identity"])
        raise invalid_argument([("channel", f"the contact has no {channel} identity")])

    async def conflicts(self, request: web.Request) -> web.Response:
        """ListIdentityConflicts: identities held by several contacts on one channel."""
        params = Params(request.query.get)
        page_size = params.page_size(MAX_PAGE)
        params.raise_if_invalid()
        holders: dict[str, dict[str, list[str]]] = {}
        for contact_id, contact in self._store.contacts.items():
            for item in contact["channel_identities"]:
                on_channel = holders.setdefault(item["identity"], {}).setdefault(
                    item["channel"], []
                )
                if contact_id not in on_channel:
                    on_channel.append(contact_id)
        conflicts: list[dict[str, Any]] = []
        for identity in sorted(holders):
            shared = {ch: ids for ch, ids in holders[identity].items() if len(ids) > 1}
            if shared:
                contact_ids = list(dict.fromkeys(i for ids in shared.values() for i in ids))
                conflicts.append(
                    {"identity": identity, "channels": sorted(shared), "contact_ids": contact_ids}
                )
        page, next_token = paginate(
            enumerate(conflicts, start=1),
            tokens=self._tokens,
            scope="ListIdentityConflicts",
            token=request.query.get("page_token"),
            page_size=page_size,
        )
        return json_response({"conflicts": page, "next_page_token": next_token})

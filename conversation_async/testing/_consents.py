"""Consents lists (catalog §2.9) and the legacy opt-in/opt-out registration (§2.10).

The API has no public write endpoint for consents, so lists change through the test hooks
``Emulator.add_consent`` / ``remove_consent`` and through ``optouts:register`` (adds the
recipient's identities to OPT_OUT_ALL) and ``optins:register`` (removes them). Every change
is audited (OPERATION_INSERT / OPERATION_DELETE, ORIGIN_API). Lists are per app ID; the app
need not exist, like the app IDs of sends. Each registration's outcome then reaches the app's
webhooks subscribed to OPT_IN / OPT_OUT: one ``OPT_IN_SUCCEEDED`` / ``OPT_OUT_SUCCEEDED``
notification per channel identity registered, with the query's ``request_id``.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from .. import _jsoncodec
from ._callbacks import Stage
from ._envelope import invalid_argument, json_response, not_found
from ._inbound import processing_mode
from ._pagination import paginate
from ._params import (
    MANDATORY,
    Params,
    Violations,
    read_json_object,
    require_str,
    validate_recipient,
)
from ._routing import ID, PROJECT, RouteProvider, RouteSpec
from ._store import CONSENT_LISTS

MAX_PAGE: Final = 50
PROCESSING_STRATEGIES: Final = frozenset({"DEFAULT", "DISPATCH_ONLY"})
OPT_OUT_LIST: Final = "OPT_OUT_ALL"

_CONSENTS: Final = PROJECT + "/apps/{app_id:" + ID + "}/consents"


class ConsentRoutes(RouteProvider):
    """ListIdentitiesFromConsentsList, ListAuditRecordsFromConsentsList, RegisterOptIn/Out."""

    ROUTES = (
        RouteSpec(
            "GET",
            _CONSENTS + "/identities/{identity}",
            "ListAuditRecordsFromConsentsList",
            "audit_records",
        ),
        RouteSpec(
            "GET", _CONSENTS + "/{list_type}", "ListIdentitiesFromConsentsList", "list_identities"
        ),
        RouteSpec("POST", PROJECT + "/optins:register", "RegisterOptIn", "opt_in"),
        RouteSpec("POST", PROJECT + "/optouts:register", "RegisterOptOut", "opt_out"),
    )

    __slots__ = ()

    async def list_identities(self, request: web.Request) -> web.Response:
        """ListIdentitiesFromConsentsList: the identities on one list, oldest first."""
        app_id = request.match_info["app_id"]
        list_type = request.match_info["list_type"]
        params = Params(request.query.get)
        page_size = params.page_size(MAX_PAGE)
        if list_type not in CONSENT_LISTS:
            params.problems.append(("list_type", f"must be one of {', '.join(CONSENT_LISTS)}"))
        params.raise_if_invalid()
        listed = self._store.consents.get((app_id, list_type))
        numbered = listed.numbered_items() if listed is not None else iter(())
        page, next_token = paginate(
            ((number, {"identity": identity}) for number, identity, _ in numbered),
            tokens=self._tokens,
            scope=f"ListIdentitiesFromConsentsList|{app_id}|{list_type}",
            token=request.query.get("page_token"),
            page_size=page_size,
        )
        return json_response({"identities": page, "next_page_token": next_token})

    async def audit_records(self, request: web.Request) -> web.Response:
        """ListAuditRecordsFromConsentsList: every consent change of one identity."""
        app_id = request.match_info["app_id"]
        identity = request.match_info["identity"]
        records = self._store.audit_records.get((app_id, identity))
        if not records:
            raise not_found(f"No consent records for identity {identity}")
        return json_response({"identity": {"identity": identity}, "audit_records": records})

    async def opt_in(self, request: web.Request) -> web.Response:
        """RegisterOptIn (legacy): takes the recipient's identities off OPT_OUT_ALL."""
        return await self._register(request, "opt_in")

    async def opt_out(self, request: web.Request) -> web.Response:
        """RegisterOptOut (legacy): puts the recipient's identities on OPT_OUT_ALL."""
        return await self._register(request, "opt_out")

    async def _register(self, request: web.Request, kind: str) -> web.Response:
        body = await read_json_object(request)
        problems: Violations = []
        app_id = require_str(body, "app_id", problems)
        problems.extend(validate_recipient(body.get("recipient")))
        channels = body.get("channels")
        if not (
            _jsoncodec.is_array(channels) and channels and all(isinstance(c, str) for c in channels)
        ):
            problems.append(("channels", f"{MANDATORY}: a non-empty list of channels"))
        strategy = body.get("processing_strategy")
        if strategy is not None and strategy not in PROCESSING_STRATEGIES:
            problems.append(("processing_strategy", "must be DEFAULT or DISPATCH_ONLY"))
        if problems:
            raise invalid_argument(problems)
        store = self._store
        identities = self._identities(body["recipient"], body["channels"])
        for _, identity, _ in identities:
            if kind == "opt_out":
                store.add_consent(app_id, OPT_OUT_LIST, identity)
            else:
                store.remove_consent(app_id, OPT_OUT_LIST, identity)
        request_id = request.query.get("request_id") or store.new_id()
        if store.webhooks:
            mode = "DISPATCH" if strategy == "DISPATCH_ONLY" else processing_mode(store, app_id)
            self._callbacks.notify(app_id, _outcomes(kind, request_id, identities, mode))
        return json_response({"request_id": request_id, kind: body})

    def _identities(
        self, recipient: dict[str, Any], channels: list[str]
    ) -> list[tuple[str, str, str]]:
        """The ``(channel, identity, contact_id)`` registered ("" for an unknown contact)."""
        contact_id = recipient.get("contact_id")
        if contact_id is None:
            pairs = [
                (str(item["channel"]), str(item["identity"]))
                for item in recipient["identified_by"]["channel_identities"]
            ]
            return [
                (channel, identity, self._store.contact_of_identity(channel, identity) or "")
                for channel, identity in pairs
            ]
        contact = self._store.contacts.get(contact_id)
        if contact is None:
            raise invalid_argument(
                [("recipient.contact_id", f"contact {contact_id} does not exist")]
            )
        return [
            (str(item["channel"]), str(item["identity"]), contact_id)
            for item in contact["channel_identities"]
            if item["channel"] in channels
        ]


def _outcomes(
    kind: str, request_id: str, identities: list[tuple[str, str, str]], mode: str
) -> list[Stage]:
    """One OPT_IN / OPT_OUT notification (catalog §4.2) per registered identity."""
    trigger = kind.upper()  # OPT_IN / OPT_OUT
    return [
        (
            trigger,
            f"{kind}_notification",
            {
                "request_id": request_id,
                "contact_id": contact_id,
                "channel": channel,
                "identity": identity,
                "status": f"{trigger}_SUCCEEDED",
                "processing_mode": mode,
            },
        )
        for channel, identity, contact_id in identities
    ]

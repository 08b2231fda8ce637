"""The emulator's public surface, pinned."""

from __future__ import annotations

import conversation_async.testing as testing


def test_exports_are_pinned() -> None:
    """``conversation_async.testing`` exports exactly these names."""
    assert set(testing.__all__) == {
        "ROUTE_NAMES",
        "Emulator",
        "ScriptedResponse",
        "Store",
        "StoredMessage",
    }


def test_route_names_are_the_operation_ids() -> None:
    """Route names are the catalog's operationIds plus ``Token``."""
    route_names = testing.ROUTE_NAMES
    assert route_names == {
        "Token",
        "SendMessage",
        "ListMessages",
        "GetMessage",
        "UpdateMessageMetadata",
        "DeleteMessage",
        "ListMessagesByChannelIdentity",
    }

"""The emulator's public surface, pinned."""

from __future__ import annotations

import conversation_async.testing as testing


def test_exports_are_pinned() -> None:
    """``conversation_async.testing`` exports exactly these names."""
    assert set(testing.__all__) == {
        "ROUTE_NAMES",
        "BatchSettings",
        "CallbackDelivery",
        "Clock",
        "Emulator",
        "FaultMode",
        "FaultPlan",
        "LedgerEntry",
        "ManualClock",
        "ScriptedResponse",
        "Store",
        "StoredBatch",
        "StoredEvent",
        "StoredMessage",
    }


EXPECTED_ROUTE_NAMES = {
    "Token",
    # messages
    "SendMessage",
    "ListMessages",
    "GetMessage",
    "UpdateMessageMetadata",
    "DeleteMessage",
    "ListMessagesByChannelIdentity",
    # apps
    "ListApps",
    "CreateApp",
    "GetApp",
    "UpdateApp",
    "DeleteApp",
    # contacts
    "ListContacts",
    "CreateContact",
    "GetContact",
    "UpdateContact",
    "DeleteContact",
    "MergeContact",
    "GetChannelProfile",
    "ListIdentityConflicts",
    # conversations
    "ListConversations",
    "CreateConversation",
    "GetConversation",
    "UpdateConversation",
    "DeleteConversation",
    "StopActiveConversation",
    "InjectMessage",
    "InjectEvent",
    "ListRecentConversations",
    # events
    "SendEvent",
    "ListEvents",
    "GetEvent",
    "DeleteEvents",
    # transcoding, capability
    "TranscodeMessage",
    "QueryCapability",
    # webhooks
    "ListWebhooks",
    "CreateWebhook",
    "GetWebhook",
    "UpdateWebhook",
    "DeleteWebhook",
    # consents, legacy opt-in/out
    "ListIdentitiesFromConsentsList",
    "ListAuditRecordsFromConsentsList",
    "RegisterOptIn",
    "RegisterOptOut",
    # project settings
    "CreateSettings",
    "GetSettings",
    "UpdateSettings",
    "DeleteSettings",
    # templates v2 and v1
    "V2ListTemplates",
    "V2CreateTemplate",
    "V2GetTemplate",
    "V2UpdateTemplate",
    "V2DeleteTemplate",
    "V2ListTranslations",
    "ListTemplates",
    "CreateTemplate",
    "GetTemplate",
    "UpdateTemplate",
    "DeleteTemplate",
}
BATCH_ROUTE_NAMES = {
    "SendBatch",
    "CancelBatch",
    "GetBatchStatusesByMetadata",
    "GetBatchStatus",
    "BatchCreateContacts",
    "BatchDeleteContacts",
    "BatchInsertConsents",
}


def test_route_names_are_the_operation_ids() -> None:
    """Route names are the catalog's operationIds, the legacy opt-in names, ``Token`` and
    the Batch API's seven."""
    assert testing.ROUTE_NAMES == EXPECTED_ROUTE_NAMES | BATCH_ROUTE_NAMES


def test_there_are_58_operations_and_7_batch_operations() -> None:
    """Every one of the catalog's 58 endpoints and the Batch API's 7 has its own route name."""
    assert len(testing.ROUTE_NAMES - {"Token"} - BATCH_ROUTE_NAMES) == 58
    assert len(BATCH_ROUTE_NAMES) == 7

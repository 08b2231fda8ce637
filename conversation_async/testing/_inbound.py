"""A contact writing in: :meth:`Emulator.inbound_message` stores a TO_APP message and sends
MESSAGE_INBOUND (after CONVERSATION_START when the message opens a conversation).

The contact and the conversation are found or created exactly as sends do. The app's
``processing_mode`` decides whether a new conversation is announced: an app created through
the API defaults to DISPATCH (no CONVERSATION_START), while an app ID the emulator does not
know counts as CONVERSATION, so a bot can be tested without creating its app first.
"""

from __future__ import annotations

from typing import Any

from ._callbacks import CallbackSender, Envelope, Stage, serialized_metadata
from ._store import Store, StoredMessage, format_time


def processing_mode(store: Store, app_id: str) -> str:
    """The app's ``processing_mode``; CONVERSATION for an app that does not exist."""
    app = store.apps.get(app_id)
    return str(app.get("processing_mode") or "DISPATCH") if app else "CONVERSATION"


def sender_id(store: Store, app_id: str, channel: str) -> str:
    """What the contact wrote to: the claimed identity of the app's credential on
    ``channel``, else that credential's ``channel_known_id``, else the app ID."""
    app = store.apps.get(app_id) or {}
    entries: list[dict[str, Any]] = app.get("channel_credentials") or []
    for entry in entries:
        if entry.get("channel") == channel:
            bearer: dict[str, Any] = entry.get("static_bearer") or {}
            claimed = bearer.get("claimed_identity")
            return str(claimed or entry.get("channel_known_id") or app_id)
    return app_id


def receive_message(
    store: Store,
    callbacks: CallbackSender,
    app_id: str,
    channel: str,
    identity: str,
    contact_message: dict[str, Any],
) -> StoredMessage:
    """Store the contact's message and notify the app's webhooks; returns the stored one."""
    contact_id = store.contact_for_identity(channel, identity)
    starts = store.active_conversation(app_id, contact_id) is None
    conversation = store.conversations[store.conversation_for(app_id, contact_id, channel)]
    mode = processing_mode(store, app_id)
    accepted = store.accept_now()
    accept_time = format_time(accepted)
    channel_identity = {"channel": channel, "identity": identity, "app_id": ""}
    message = {
        "id": store.new_id(),
        "direction": "TO_APP",
        "contact_message": contact_message,
        "channel_identity": channel_identity,
        "conversation_id": conversation["id"],
        "contact_id": contact_id,
        "metadata": "",
        "accept_time": accept_time,
        "sender_id": sender_id(store, app_id, channel),
        "processing_mode": mode,
        "injected": False,
    }
    stored = store.add_message(
        message,
        app_id=app_id,
        correlation_id=None,
        request={
            "app_id": app_id,
            "channel_identity": channel_identity,
            "contact_message": contact_message,
        },
        accepted=accepted,
    )
    conversation["last_received"] = accept_time
    if store.webhooks:
        stages: list[Stage] = []
        if starts and mode == "CONVERSATION":
            stages.append(
                (
                    "CONVERSATION_START",
                    "conversation_start_notification",
                    {"conversation": conversation},
                )
            )
        stages.append(("MESSAGE_INBOUND", "message", message))
        envelope = Envelope(
            accept_time,
            serialized_metadata(conversation.get("metadata_json")),
            conversation.get("correlation_id") or None,
        )
        callbacks.notify(app_id, stages, envelope)
    return stored

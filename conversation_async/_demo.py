"""``python -m conversation_async demo``: each content type, list them back, then a bulk send.

Runs against the embedded emulator unless ``SINCH_PROJECT_ID``, ``SINCH_CLIENT_ID`` and
``SINCH_CLIENT_SECRET`` are set; the real API also needs ``SINCH_APP_ID`` and
``SINCH_DEMO_TO`` (``CHANNEL:identity``, for example ``SMS:+46700000000``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncGenerator

from ._bulk_cli import send_with_progress
from ._client import ConversationClient
from ._config import credentials_in_env
from ._errors import ConversationError
from ._version import __version__
from .models import (
    AppMessage,
    AppMessageContent,
    CallMessage,
    CardHeight,
    CardMessage,
    CarouselMessage,
    Choice,
    ChoiceMessage,
    ContactInfoMessage,
    Coordinates,
    IdentifiedRecipient,
    ListItemChoice,
    ListMessage,
    ListSection,
    LocationMessage,
    MediaMessage,
    NameInfo,
    PhoneNumberInfo,
    SendMessageRequest,
    TemplateMessage,
    TemplateReference,
    TextMessage,
    UrlMessage,
)

DEMO_APP_ID = "demo-app"
DEMO_RECIPIENT = ("SMS", "+46700000001")


def demo_contents() -> list[AppMessageContent]:
    """One message of each of the nine content types."""
    card = CardMessage(
        title="conversation-async",
        description="asyncio client for the Sinch Conversation API",
        media_message=MediaMessage(url="https://example.com/card.png"),
        height=CardHeight.MEDIUM,
        choices=[Choice(content=CallMessage(title="Call us", phone_number="+46700000002"))],
    )
    return [
        TextMessage(text="Hello from conversation-async!"),
        MediaMessage(url="https://example.com/cat.jpg", thumbnail_url="https://example.com/t.jpg"),
        ChoiceMessage(
            text_message=TextMessage(text="Did this demo work?"),
            choices=[
                Choice(content=TextMessage(text="Yes"), postback_data="yes"),
                Choice(content=UrlMessage(title="Docs", url="https://developers.sinch.com")),
            ],
        ),
        card,
        CarouselMessage(cards=[card, card]),
        LocationMessage(
            coordinates=Coordinates(latitude=59.3293, longitude=18.0686),
            title="Stockholm",
            label="Sinch HQ",
        ),
        TemplateMessage(
            omni_template=TemplateReference(
                template_id="welcome",
                version="1",
                language_code="en-US",
                parameters={"name": "Ada"},
            )
        ),
        ListMessage(
            title="Pick a slot",
            sections=[
                ListSection(
                    title="Tomorrow",
                    items=[
                        ListItemChoice(title="09:00", postback_data="slot-9"),
                        ListItemChoice(title="14:00", postback_data="slot-14"),
                    ],
                )
            ],
        ),
        ContactInfoMessage(
            name=NameInfo(full_name="Ada Lovelace", first_name="Ada", last_name="Lovelace"),
            phone_numbers=[PhoneNumberInfo(phone_number="+46700000003", type="WORK")],
        ),
    ]


BULK_MESSAGES = 10_000


def bulk_requests(app_id: str, count: int) -> list[SendMessageRequest]:
    """``count`` personalised texts to distinct numbers (a list, so progress has a total)."""
    return [
        SendMessageRequest(
            app_id=app_id,
            recipient=IdentifiedRecipient.of(("SMS", f"+4670{i:07d}")),
            message=AppMessage(content=TextMessage(text=f"Hello customer {i}!")),
            correlation_id=f"campaign-{i}",
        )
        for i in range(count)
    ]


@contextlib.asynccontextmanager
async def demo_target() -> AsyncGenerator[
    tuple[ConversationClient, str, str, tuple[str, str]], None
]:
    """The client to use, a description of its target, the app id and the recipient."""
    if credentials_in_env():
        app_id = os.environ.get("SINCH_APP_ID", "")
        to = os.environ.get("SINCH_DEMO_TO", "")
        channel, _, identity = to.partition(":")
        if not app_id or not identity:
            raise SystemExit(
                "with SINCH_* credentials set, also set SINCH_APP_ID and "
                "SINCH_DEMO_TO=CHANNEL:identity (e.g. SMS:+46700000000)"
            )
        async with ConversationClient.from_env() as client:
            yield (
                client,
                f"Sinch API at {client.config.conversation_url}",
                app_id,
                (
                    channel,
                    identity,
                ),
            )
        return
    from .testing import Emulator

    async with Emulator() as emulator, emulator.client() as client:
        yield client, f"embedded emulator at {emulator.base_url}", DEMO_APP_ID, DEMO_RECIPIENT


async def run_demo() -> int:
    """Send, list back, print a summary; non-zero exit status on an API error."""
    started = time.perf_counter()
    try:
        async with demo_target() as (client, target, app_id, (channel, identity)):
            print(f"conversation-async {__version__} demo, target: {target}\n")
            recipient = IdentifiedRecipient.of((channel, identity))
            print(f"sending one message of each content type to {channel} {identity}:")
            sent_ids: list[str] = []
            for content in demo_contents():
                response = await client.messages.send(
                    app_id=app_id,
                    recipient=recipient,
                    message=content,
                    correlation_id="conversation-async-demo",
                )
                sent_ids.append(response.message_id)
                accepted = response.accepted_time.isoformat() if response.accepted_time else "-"
                print(f"  {type(content).__name__:<20} {response.message_id}  accepted {accepted}")
            print("\nlisting them back (newest first, pages of 4):")
            pages = 0
            listed = 0
            async for page in client.messages.list(app_id=app_id, page_size=4).pages():
                pages += 1
                for message in page.items:
                    if message.id not in sent_ids:
                        continue
                    listed += 1
                    kind = (
                        type(message.app_message.content).__name__ if message.app_message else "-"
                    )
                    print(f"  {message.id}  {message.direction}  {kind}")
            elapsed = time.perf_counter() - started
            print(
                f"\nsent {len(sent_ids)}, listed back {listed} over {pages} page(s) "
                f"in {elapsed:.2f}s"
            )
            if listed != len(sent_ids):
                return 1
            if credentials_in_env():
                print("\n(bulk part skipped: it would send 10,000 real messages)")
                return 0
            print(f"\nbulk send of {BULK_MESSAGES:,} messages (send_many, concurrency 64):")
            summary = await send_with_progress(client, bulk_requests(app_id, BULK_MESSAGES))
            print(summary.format())
            return 0 if summary.by_outcome.get("sent") == BULK_MESSAGES else 1
    except ConversationError as exc:
        print(f"\ndemo failed: {type(exc).__name__}: {exc}")
        return 1

"""OpenTelemetry spans for API calls, recorded with the SDK's in-memory exporter against the
emulator over loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from yarl import URL

from conversation_async import ConversationClient, NotFoundError, ServerError
from conversation_async._http.tracing import call_attributes, route
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async.testing import Emulator, ScriptedResponse
from tests.conftest import FAST_RETRY

RECIPIENT = IdentifiedRecipient.of(("SMS", "+46700000001"))
SEND = "POST /v1/projects/{project_id}/messages:send"


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """A real tracer provider, global for this test only, exporting to memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    yield exporter
    provider.shutdown()


@pytest.fixture
async def headers_sent() -> AsyncIterator[tuple[aiohttp.ClientSession, list[dict[str, str]]]]:
    """A session (lent to the client) that records the headers of every request it sends."""
    seen: list[dict[str, str]] = []

    async def on_request_start(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        seen.append(dict(params.headers))

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[config]) as session:
        yield session, seen


async def send(client: ConversationClient) -> str:
    response = await client.messages.send(
        app_id="app", recipient=RECIPIENT, message=TextMessage(text="hi")
    )
    return response.message_id


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def call_and_attempts(spans: tuple[ReadableSpan, ...]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """The send's call span (the one without a parent among them) and its attempt spans."""
    sends = by_name(spans, SEND)
    ids = {s.context.span_id for s in sends}
    (call,) = [s for s in sends if s.parent is None or s.parent.span_id not in ids]
    attempts = [s for s in sends if s.parent is not None and s.parent.span_id in ids]
    return call, sorted(attempts, key=lambda s: s.start_time or 0)


def test_route_keeps_collections_and_verbs_and_hides_ids() -> None:
    """Ids become placeholders; collections and custom verbs stay (low cardinality)."""
    assert route("/v1/projects/p1/messages:send") == "/v1/projects/{project_id}/messages:send"
    assert route("/v1/projects/p1/contacts/c%3A1:merge") == (
        "/v1/projects/{project_id}/contacts/{id}:merge"
    )
    assert route("/v2/projects/p/templates/t/translations") == (
        "/v2/projects/{project_id}/templates/{id}/translations"
    )
    assert route("/oauth2/token") == "/oauth2/token"


def test_call_attributes_follow_the_http_semantic_conventions() -> None:
    """Method, server address and port, the full URL without its query, the template."""
    attributes = call_attributes("GET", URL("https://eu.example.com:8443/v1/projects/p/apps?x=1"))
    assert attributes == {
        "http.request.method": "GET",
        "server.address": "eu.example.com",
        "server.port": 8443,
        "url.full": "https://eu.example.com:8443/v1/projects/p/apps",
        "url.template": "/v1/projects/{project_id}/apps",
    }


async def test_send_records_one_call_span_and_one_attempt_span(
    emulator: Emulator, exporter: InMemorySpanExporter
) -> None:
    """A send: a CLIENT call span with the HTTP attributes and the message id, one attempt."""
    async with emulator.client(retry=FAST_RETRY, auth="basic") as client:
        message_id = await send(client)
    call, attempts = call_and_attempts(exporter.get_finished_spans())
    assert call.kind is SpanKind.CLIENT
    assert call.attributes is not None
    assert call.attributes["http.request.method"] == "POST"
    assert call.attributes["server.address"] == "127.0.0.1"
    assert (
        call.attributes["url.full"]
        == f"{emulator.base_url}/v1/projects/{emulator.project_id}/messages:send"
    )
    assert call.attributes["http.response.status_code"] == 200
    assert call.attributes["conversation.attempts"] == 1
    assert call.attributes["conversation.message_id"] == message_id
    assert call.status.status_code is StatusCode.UNSET
    assert len(attempts) == 1
    assert attempts[0].kind is SpanKind.CLIENT
    assert attempts[0].attributes is not None
    assert attempts[0].attributes["http.response.status_code"] == 200


async def test_a_retried_send_has_two_attempt_spans_with_the_retry_reason(
    emulator: Emulator, exporter: InMemorySpanExporter
) -> None:
    """503 then 200: two attempt spans, the first with its status, error and retry event."""
    emulator.script("SendMessage", ScriptedResponse(status=503))
    async with emulator.client(retry=FAST_RETRY, auth="basic") as client:
        await send(client)
    call, attempts = call_and_attempts(exporter.get_finished_spans())
    assert call.attributes is not None
    assert call.attributes["conversation.attempts"] == 2
    assert [a.attributes and a.attributes["http.response.status_code"] for a in attempts] == [
        503,
        200,
    ]
    first, second = attempts
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes["conversation.retry.reason"]
    assert [e.name for e in first.events] == ["retry"]
    assert second.attributes["http.request.resend_count"] == 1
    assert second.status.status_code is StatusCode.UNSET


async def test_a_failed_call_records_the_error_type_and_status(
    emulator: Emulator, exporter: InMemorySpanExporter
) -> None:
    """A 404: the call span has error.type (the SDK error's class) and an ERROR status."""
    async with emulator.client(retry=FAST_RETRY, auth="basic") as client:
        with pytest.raises(NotFoundError):
            await client.messages.get(message_id="missing")
    (call,) = [s for s in exporter.get_finished_spans() if s.parent is None]
    assert call.name == "GET /v1/projects/{project_id}/messages/{id}"
    assert call.attributes is not None
    assert call.attributes["error.type"] == "conversation_async.NotFoundError"
    assert call.attributes["http.response.status_code"] == 404
    assert call.status.status_code is StatusCode.ERROR


async def test_an_exhausted_retry_fails_the_call_span(
    emulator: Emulator, exporter: InMemorySpanExporter
) -> None:
    """503 on every attempt: one span per attempt, the call span failed with ServerError."""
    for _ in range(4):
        emulator.script("SendMessage", ScriptedResponse(status=503))
    async with emulator.client(retry=FAST_RETRY, auth="basic") as client:
        with pytest.raises(ServerError):
            await send(client)
    call, attempts = call_and_attempts(exporter.get_finished_spans())
    assert len(attempts) == 4
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes is not None
    assert str(call.attributes["error.type"]).endswith("Error")


async def test_the_request_carries_a_traceparent_of_its_attempt_span(
    emulator: Emulator,
    exporter: InMemorySpanExporter,
    headers_sent: tuple[aiohttp.ClientSession, list[dict[str, str]]],
) -> None:
    """The API request's traceparent names the call's trace and the attempt span; the OAuth
    token request carries none, and gets a span of its own."""
    session, seen = headers_sent
    async with emulator.client(retry=FAST_RETRY, session=session) as client:
        await send(client)
    spans = exporter.get_finished_spans()
    call, (attempt,) = call_and_attempts(spans)
    token_headers, send_headers = seen
    assert "traceparent" not in token_headers
    context = attempt.context
    assert send_headers["traceparent"].startswith(
        f"00-{context.trace_id:032x}-{context.span_id:016x}-"
    )
    assert call.context.trace_id == context.trace_id
    token_call, token_attempt = sorted(
        by_name(spans, "POST /oauth2/token"), key=lambda s: s.start_time or 0
    )
    assert token_attempt.parent is not None
    assert token_attempt.parent.span_id == token_call.context.span_id
    assert token_call.parent is not None
    assert token_call.parent.span_id == call.context.span_id
    assert token_call.attributes is not None
    assert token_call.attributes["http.response.status_code"] == 200


async def test_spans_hold_no_credential(emulator: Emulator, exporter: InMemorySpanExporter) -> None:
    """No attribute or event of any span holds the secret, a token or an auth header."""
    emulator.script("SendMessage", ScriptedResponse(status=503))
    async with emulator.client(retry=FAST_RETRY) as client:
        await send(client)
        token = client._transport.authenticator.usable()  # type: ignore[union-attr]
    assert token is not None
    values = []
    for span in exporter.get_finished_spans():
        values += list((span.attributes or {}).values())
        for event in span.events:
            values += list((event.attributes or {}).values())
    text = " ".join(map(str, values))
    assert emulator.client_secret not in text
    assert token.header.split()[-1] not in text
    assert "Bearer" not in text
    assert "Basic" not in text


async def test_without_a_tracer_provider_nothing_is_recorded(
    emulator: Emulator,
    headers_sent: tuple[aiohttp.ClientSession, list[dict[str, str]]],
) -> None:
    """No provider set: calls work, and no traceparent goes out."""
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    session, seen = headers_sent
    async with emulator.client(retry=FAST_RETRY, session=session, auth="basic") as client:
        await send(client)
    assert seen
    assert all("traceparent" not in headers for headers in seen)


def test_the_package_works_without_opentelemetry() -> None:
    """opentelemetry blocked from import: the client sends against the emulator as usual."""
    script = """
import sys
sys.modules["opentelemetry"] = None
import asyncio
from conversation_async.testing import Emulator
from conversation_async.models import IdentifiedRecipient, TextMessage
from conversation_async._http import tracing

async def main():
    assert tracing.hook() is None
    async with Emulator() as emulator, emulator.client() as client:
        sent = await client.messages.send(
            app_id="app",
            recipient=IdentifiedRecipient.of(("SMS", "+46700000001")),
            message=TextMessage(text="hi"),
        )
    assert sent.message_id
    assert not any(name.startswith("opentelemetry.") for name in sys.modules)
    print("ok")

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

"""OpenTelemetry spans for API calls, when ``opentelemetry-api`` is installed and a tracer
provider is set; otherwise nothing (the ``[otel]`` extra is optional).

One CLIENT span per call, named ``"{METHOD} {url.template}"`` (``POST
/v1/projects/{project_id}/messages:send``), and one CLIENT child span per HTTP attempt, whose
context goes out in the request's ``traceparent`` (through the global propagator). The
OAuth token request is a call of its own (span ``POST /oauth2/token``) and carries no trace
context: the token endpoint is another party. No header, credential or body is recorded.

The transport asks :func:`hook` once per client (None: opentelemetry is not installed), then
the hook once per call: it answers None unless the global tracer provider is a real one,
which costs a function call, an attribute read and an identity check (about 0.1 µs).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from yarl import URL

from .._version import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from .._core.call import CallState, Reported

__all__ = ["CallObserver", "Observe", "call_attributes", "hook", "route"]

INSTRUMENTATION = "conversation_async"
ATTEMPTS = "conversation.attempts"
MESSAGE_ID = "conversation.message_id"
MAYBE_PROCESSED = "conversation.maybe_processed"
RETRY_REASON = "conversation.retry.reason"
RETRY_WAIT = "conversation.retry.wait_s"
_PROVIDER_VARIABLE = "OTEL_PYTHON_TRACER_PROVIDER"

_LITERALS = frozenset(
    {
        "v1",
        "v2",
        "projects",
        "apps",
        "capability",
        "consents",
        "contacts",
        "conversations",
        "events",
        "identities",
        "messages",
        "oauth2",
        "optins",
        "optouts",
        "settings",
        "templates",
        "token",
        "translations",
        "webhooks",
    }
)
"""Path segments that name a collection; every other segment is an id."""


# --- pure logic --------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def route(raw_path: str) -> str:
    """The low-cardinality template of a (percent-encoded) request path: ids become
    ``{id}``, the project ``{project_id}``, custom verbs (``:send``) stay."""
    parts = raw_path.split("/")
    out: list[str] = []
    for index, part in enumerate(parts):
        head, colon, verb = part.partition(":")
        if head and head not in _LITERALS:
            after_projects = index > 0 and parts[index - 1] == "projects"
            head = "{project_id}" if after_projects else "{id}"
        out.append(f"{head}{colon}{verb}")
    return "/".join(out)


def call_attributes(method: str, target: URL) -> dict[str, str | int]:
    """The HTTP semantic-convention attributes known before a call starts (no query, no
    credential: the SDK never puts one in a URL)."""
    template = route(target.raw_path)
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.full": str(target.with_query(None).with_fragment(None)),
        "url.template": template,
    }
    if target.host is not None:
        attributes["server.address"] = target.host
    if target.port is not None:
        attributes["server.port"] = target.port
    return attributes


def error_type(error: BaseException) -> str:
    """``error.type`` for an exception: its qualified class name."""
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


# --- the hook ----------------------------------------------------------------------------

Observe = Callable[[str, URL, bool], "CallObserver | None"]
"""``(method, target, propagate)``: an observer for one call, or None when not tracing."""


@functools.cache
def hook() -> Observe | None:
    """The per-call hook, or None when ``opentelemetry`` cannot be imported."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    get_provider = trace.get_tracer_provider
    no_op = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    seen: list[Any] = [None, None]  # the last provider seen, and its tracer (None: no-op)
    # get_tracer_provider() looks the environment up while no provider is set (a KeyError
    # raised and caught: microseconds); the global it returns is read directly instead,
    # unless the environment names a provider or the API no longer keeps that global.
    fast = hasattr(trace, "_TRACER_PROVIDER") and _PROVIDER_VARIABLE not in os.environ
    trace_globals = vars(trace)  # that global is the API's own: read by name, not exported

    def observe(method: str, target: URL, propagate: bool) -> CallObserver | None:
        provider = trace_globals["_TRACER_PROVIDER"] if fast else get_provider()
        if provider is None:
            return None
        if provider is not seen[0]:
            tracer = None
            if not isinstance(provider, no_op):
                tracer = provider.get_tracer(INSTRUMENTATION, __version__)
            seen[:] = [provider, tracer]
        if seen[1] is None:
            return None
        return CallObserver(seen[1], method, target, propagate)

    return observe


class CallObserver:
    """The spans of one call: the call span, and the span of the attempt in flight."""

    __slots__ = ("_attempt", "_attributes", "_name", "_propagate", "_retries", "_status", "_tracer")
    _attempt: Span | None

    def __init__(self, tracer: Tracer, method: str, target: URL, propagate: bool) -> None:
        self._tracer = tracer
        self._attributes = call_attributes(method, target)
        self._name = f"{method} {self._attributes['url.template']}"
        self._propagate = propagate
        self._attempt = None
        self._retries = 0
        self._status = 0

    async def traced(self, run: Coroutine[Any, Any, Reported[Any]]) -> Reported[Any]:
        """Await ``run`` (the transport's driver) inside the call span."""
        from opentelemetry import context, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        span = self._tracer.start_span(
            self._name, kind=SpanKind.CLIENT, attributes=self._attributes
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = await run
        except BaseException as exc:
            span.set_attribute("error.type", error_type(exc))
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        else:
            state = result.state
            span.set_attribute(ATTEMPTS, state.attempts)
            if self._status:
                span.set_attribute("http.response.status_code", self._status)
            error = result.error
            if error is None:
                message_id = getattr(result.value, "message_id", None)
                if isinstance(message_id, str):
                    span.set_attribute(MESSAGE_ID, message_id)
            else:
                span.set_attribute("error.type", error_type(error))
                span.set_attribute(MAYBE_PROCESSED, state.maybe_processed)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            return result
        finally:
            context.detach(token)
            span.end()

    def sending(self, headers: dict[str, str], state: CallState) -> None:
        """An attempt goes out with ``headers``: start its span, inject its context."""
        from opentelemetry import propagate, trace
        from opentelemetry.trace import SpanKind

        attributes = dict(self._attributes)
        if state.attempts:
            attributes["http.request.resend_count"] = state.attempts
        span = self._tracer.start_span(self._name, kind=SpanKind.CLIENT, attributes=attributes)
        self._attempt = span
        if self._propagate:
            propagate.inject(headers, context=trace.set_span_in_context(span))

    def ended(self, state: CallState, status: int) -> None:
        """The attempt in flight (if any) ended with ``status`` (0: no answer)."""
        span = self._attempt
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        self._attempt = None
        if status:
            self._status = status
            span.set_attribute("http.response.status_code", status)
        retries = state.retry_count
        failed = status >= 400 or not status
        if retries > self._retries:
            self._retries = retries
            span.set_attribute(RETRY_REASON, state.reason)
            span.set_attribute(RETRY_WAIT, state.wait)
            span.add_event("retry", {RETRY_REASON: state.reason, RETRY_WAIT: state.wait})
            if not status:
                span.set_attribute("error.type", state.reason)
        elif failed and state.error is not None and not status:
            span.set_attribute("error.type", error_type(state.error))
        if status >= 400:
            span.set_attribute("error.type", str(status))
        if failed:
            span.set_status(Status(StatusCode.ERROR))
        span.end()

"""What every resource shares: URL building, argument checks, query encoding, model I/O.

Resources build a path and a request model and return a response model; headers, JSON,
retries and errors belong to the transport.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, overload
from urllib.parse import quote

import attrs

from .._checked import as_object
from .._config import ClientConfig
from .._core.call import Reported
from .._errors import InvalidResponseError, SerializationError
from .._http.response import RawResponse, decode_json
from .._http.transport import Transport
from .._pagination import AsyncPager, Page, next_token
from .._serde import format_timestamp, structure, unstructure

__all__ = [
    "Resource",
    "changed_fields",
    "check_page_size",
    "endpoint",
    "exactly_one",
    "exclusive",
    "query",
    "require",
    "require_any",
    "segment",
    "update_mask",
]

T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

ENDPOINT_ATTRIBUTE = "__api_endpoint__"
ENDPOINT_API_ATTRIBUTE = "__api_host__"
"""Which API (host) a marked method calls: ``"conversation"`` (with Templates) or ``"batch"``."""


def endpoint(method: str, path: str, *, api: str = "conversation") -> Callable[[F], F]:
    """Mark a client method with the API endpoint it calls, as the catalog writes it.

    ``@endpoint("GET", "/v1/projects/{project_id}/apps")``; ``api="batch"`` for the Batch
    API's host, whose paths repeat some of the Conversation API's. The README's coverage
    tables and their test are built from these marks.
    """

    def mark(function: F) -> F:
        setattr(function, ENDPOINT_ATTRIBUTE, (method, path))
        setattr(function, ENDPOINT_API_ATTRIBUTE, api)
        return function

    return mark


def changed_fields(request: attrs.AttrsInstance) -> list[str]:
    """The fields set (not None) on an update request; ``ValueError`` when there are none."""
    changed = [f.name for f in attrs.fields(type(request)) if getattr(request, f.name) is not None]
    if not changed:
        raise ValueError("nothing to update: pass at least one field to change")
    return changed


def update_mask(request: attrs.AttrsInstance) -> dict[str, str]:
    """The ``update_mask`` query of a PATCH: the comma-joined fields set on ``request``.

    Callers pass only what they change; unset (None) fields are neither sent nor masked.
    This is the one place the mask encoding lives (catalog §2.13).
    """
    return {"update_mask": ",".join(changed_fields(request))}


def require(**arguments: Any) -> None:
    """Raise ``ValueError`` naming every argument that is None or an empty string."""
    missing = [name for name, v in arguments.items() if v is None or (isinstance(v, str) and not v)]
    if missing:
        raise ValueError(f"missing required argument(s): {', '.join(missing)}")


def exclusive(**arguments: Any) -> None:
    """Raise ``ValueError`` unless at most one of ``arguments`` is given."""
    given = [name for name, value in arguments.items() if value is not None]
    if len(given) > 1:
        raise ValueError(f"pass only one of {', '.join(arguments)} (got {', '.join(given)})")


def require_any(**arguments: Any) -> None:
    """Raise ``ValueError`` unless at least one of ``arguments`` is given (not None or "")."""
    if all(value is None or value == "" for value in arguments.values()):
        *first, last = arguments
        raise ValueError(f"pass {', '.join(first)} or {last}" if first else f"pass {last}")


def exactly_one(**arguments: Any) -> None:
    """Raise ``ValueError`` unless exactly one of ``arguments`` is given."""
    exclusive(**arguments)
    require_any(**arguments)


def check_page_size(page_size: int | None, maximum: int) -> None:
    """Refuse a page size the API would reject (catalog §2.15), before any request."""
    if page_size is None:
        return
    if isinstance(page_size, bool) or not isinstance(as_object(page_size), int):
        raise TypeError(f"page_size must be an int, got {type(page_size).__name__}")
    if not 1 <= page_size <= maximum:
        raise ValueError(f"page_size must be between 1 and {maximum}, got {page_size}")


def query_value(value: Any) -> str:
    """How one value is written in a query string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def query(**values: Any) -> dict[str, str]:
    """Query parameters from keyword arguments, leaving out the ones that are None."""
    return {name: query_value(value) for name, value in values.items() if value is not None}


def segment(value: str) -> str:
    """Percent-encode one path segment (ids may hold ``/`` or ``:``).

    ``.`` and ``..`` are refused with ``ValueError``: URL normalisation would turn them into
    a step up the path (``messages/..`` is the project itself), so a request would reach
    another endpoint than the one called.
    """
    if value in _DOT_SEGMENTS:
        raise ValueError(f"{value!r} is not a valid id: it would change the request's path")
    return quote(value, safe="")


_DOT_SEGMENTS = frozenset({".", ".."})


@overload
def reader(into: type[T]) -> Callable[[RawResponse], T]: ...


@overload
def reader(into: None) -> Callable[[RawResponse], None]: ...


def reader(into: type[T] | None) -> Callable[[RawResponse], T | None]:
    """How a successful answer becomes ``into`` (None: its body is ignored); raises
    ``InvalidResponseError`` for a body that is not JSON or does not fit ``into``. One
    function per type, made once."""
    read = _READERS.get(into)
    if read is None:
        read = _READERS[into] = _make_reader(into)
    return read


_READERS: dict[Any, Callable[[RawResponse], Any]] = {}


def _make_reader(into: type[T] | None) -> Callable[[RawResponse], T | None]:
    def read(response: RawResponse) -> T | None:
        data = decode_json(response)
        if into is None:
            return None
        try:
            return structure({} if data is None else data, into)
        except SerializationError as exc:
            raise InvalidResponseError(
                f"HTTP {response.status} answer does not fit {into.__name__}: {exc}",
                status=response.status,
                body=response.body,
            ) from exc

    return read


class Resource:
    """Base of ``client.<area>``: holds the transport and the project's base URLs."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        self._transport = transport
        self._config = config
        project = segment(config.project_id)
        self._project = f"{config.conversation_url}/v1/projects/{project}"
        self._templates = f"{config.templates_url}/{{version}}/projects/{project}"
        self._batch = f"{config.batch_url}/v1/projects/{project}"

    def _url(self, path: str) -> str:
        """A Conversation API URL below ``/v1/projects/{project_id}/``."""
        return f"{self._project}/{path}"

    def _templates_url(self, path: str, *, version: str = "v2") -> str:
        """A Template Management URL below ``/{version}/projects/{project_id}/``."""
        return f"{self._templates.format(version=version)}/{path}"

    def _batch_url(self, path: str) -> str:
        """A Batch API URL below ``/v1/projects/{project_id}/``."""
        return f"{self._batch}/{path}"

    @overload
    async def _call(
        self,
        method: str,
        url: str,
        *,
        into: type[T],
        params: Mapping[str, str] | None = ...,
        body: Any = ...,
    ) -> T: ...

    @overload
    async def _call(
        self,
        method: str,
        url: str,
        *,
        into: None = ...,
        params: Mapping[str, str] | None = ...,
        body: Any = ...,
    ) -> None: ...

    async def _call(
        self,
        method: str,
        url: str,
        *,
        into: type[T] | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> T | None:
        """Send ``body`` (a model) and read the answer into ``into`` (None: discard it);
        raises the call's error."""
        return (
            await self._call_reported(method, url, into=into, params=params, body=body)
        ).unwrap()

    @overload
    def _call_reported(
        self,
        method: str,
        url: str,
        *,
        into: type[T],
        params: Mapping[str, str] | None = ...,
        body: Any = ...,
    ) -> Coroutine[Any, Any, Reported[T]]: ...

    @overload
    def _call_reported(
        self,
        method: str,
        url: str,
        *,
        into: None,
        params: Mapping[str, str] | None = ...,
        body: Any = ...,
    ) -> Coroutine[Any, Any, Reported[None]]: ...

    def _call_reported(
        self,
        method: str,
        url: str,
        *,
        into: type[T] | None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Coroutine[Any, Any, Reported[Any]]:
        """:meth:`_call` with its result as a value: the model or the error, and the report.

        Returns the transport's coroutine itself (one frame less on every resumption of a
        call in flight); the answer is read into ``into`` by :func:`reader`.
        """
        return self._transport.request(
            method,
            url,
            params=params,
            payload=None if body is None else unstructure(body),
            decode=reader(into),
            config=self._config,
        )

    async def _call_read(
        self,
        method: str,
        url: str,
        *,
        read: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> T:
        """:meth:`_call` for an answer that is not one model: ``read`` gets the decoded JSON
        and raises ``SerializationError`` for what does not fit (an ``InvalidResponseError``
        to the caller)."""

        def decode(response: RawResponse) -> T:
            try:
                return read(decode_json(response))
            except SerializationError as exc:
                raise InvalidResponseError(
                    f"HTTP {response.status} answer does not fit: {exc}",
                    status=response.status,
                    body=response.body,
                ) from exc

        payload = None if body is None else unstructure(body)
        result = await self._transport.request(
            method, url, params=params, payload=payload, decode=decode, config=self._config
        )
        return result.unwrap()

    def _paginate(
        self,
        method: str,
        url: str,
        *,
        into: type[R],
        items: Callable[[R], Sequence[T] | None],
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> AsyncPager[T]:
        """A pager over a token-paginated listing whose pages are ``into`` responses.

        The token travels as the ``page_token`` query parameter, or, when ``body`` is given,
        as its ``page_token`` field; everything else stays the same on every page.
        """

        async def fetch(token: str | None) -> Page[T]:
            page_params, page_body = params, body
            if token is not None:
                if body is None:
                    page_params = {**(params or {}), "page_token": token}
                else:
                    page_body = attrs.evolve(body, page_token=token)
            page = await self._call(method, url, params=page_params, body=page_body, into=into)
            return Page(items(page) or [], next_token(getattr(page, "next_page_token", None)))

        return AsyncPager(fetch)

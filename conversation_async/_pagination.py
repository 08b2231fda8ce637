"""Token pagination: ``async for item in client.messages.list(...)`` across every page.

A page has more after it exactly when its ``next_page_token`` is a non-empty string
(catalog §2.15). The pager asks for each page with the same filters and only the token
changing; the resource decides whether the token travels in the query or in a POST body.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import attrs

from ._errors import InvalidResponseError

__all__ = ["AsyncPager", "Page", "next_token"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page: its items and the token of the next page (None on the last)."""

    items: Sequence[T]
    next_page_token: str | None


def next_token(token: object) -> str | None:
    """The token to ask for next, or None when the listing is complete."""
    return token if isinstance(token, str) and token else None


FetchPage = Callable[[str | None], Awaitable[Page[T]]]
"""Fetches the page at a token (None for the first page)."""


class AsyncPager(Generic[T]):
    """Lazily walks a token-paginated listing; each iteration starts again from page one."""

    def __init__(self, fetch_page: FetchPage[T]) -> None:
        self._fetch_page = fetch_page

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield each page in order, fetching the next one only when asked for."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = await self._fetch_page(token)
            yield page
            token = page.next_page_token
            if token is None:
                return
            if token in seen:
                raise InvalidResponseError(
                    "the API returned a page token it had already returned", status=200, body=b""
                )
            seen.add(token)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    async def to_list(self, limit: int | None = None) -> list[T]:
        """Collect items (at most ``limit``), fetching no more pages than needed."""
        items: list[T] = []
        if limit is not None and limit <= 0:
            return items
        async with contextlib.aclosing(self._items()) as stream:
            async for item in stream:
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
        return items

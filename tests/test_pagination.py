"""AsyncPager over fake page fetchers, without sockets."""

from __future__ import annotations

import pytest

from conversation_async import AsyncPager, InvalidResponseError, Page
from conversation_async._pagination import next_token


class Pages:
    """Serves fixed pages keyed by token and records the tokens asked for."""

    def __init__(self, pages: dict[str | None, Page[int]]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []

    async def fetch(self, token: str | None) -> Page[int]:
        self.asked.append(token)
        return self.pages[token]


THREE = {
    None: Page([1, 2], "a"),
    "a": Page([3, 4], "b"),
    "b": Page([5], None),
}


@pytest.mark.parametrize(("raw", "expected"), [("tok", "tok"), ("", None), (None, None), (5, None)])
def test_next_token_is_none_for_empty_or_absent(raw: object, expected: str | None) -> None:
    """Only a non-empty string means there is another page."""
    assert next_token(raw) == expected


async def test_iterating_yields_every_item_across_pages() -> None:
    """async for walks all pages in order."""
    source = Pages(THREE)
    assert [i async for i in AsyncPager(source.fetch)] == [1, 2, 3, 4, 5]
    assert source.asked == [None, "a", "b"]


async def test_pages_yields_each_page_with_its_token() -> None:
    """.pages() exposes page boundaries and tokens."""
    pages = [p async for p in AsyncPager(Pages(THREE).fetch).pages()]
    assert [list(p.items) for p in pages] == [[1, 2], [3, 4], [5]]
    assert [p.next_page_token for p in pages] == ["a", "b", None]


async def test_pages_are_fetched_lazily() -> None:
    """Stopping early does not fetch the remaining pages."""
    source = Pages(THREE)
    assert await AsyncPager(source.fetch).to_list(limit=2) == [1, 2]
    assert source.asked == [None]


async def test_empty_listing_yields_nothing() -> None:
    """A single empty page ends the iteration."""
    assert [i async for i in AsyncPager(Pages({None: Page([], None)}).fetch)] == []


async def test_each_iteration_starts_from_the_first_page() -> None:
    """A pager can be iterated twice."""
    pager = AsyncPager(Pages(THREE).fetch)
    assert await pager.to_list() == await pager.to_list()


async def test_repeated_token_is_refused_instead_of_looping_forever() -> None:
    """A server handing back an old token raises rather than spinning."""
    looping = Pages({None: Page([1], "a"), "a": Page([2], "a")})
    with pytest.raises(InvalidResponseError, match="page token"):
        await AsyncPager(looping.fetch).to_list()

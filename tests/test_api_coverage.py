"""Every catalog endpoint has a client method, and the README's coverage tables say which.

Client methods carry ``@endpoint(METHOD, PATH)`` marks (``api="batch"`` for the Batch API's
host); the catalogs are the endpoint tables of ``../shared/api/conversation-api.md`` §2 and
``../shared/api/batch-api.md`` §2 (rows B1-B7). The README tables between the
``api-coverage`` and ``batch-coverage`` markers must equal :func:`render_table` (the failure
message prints the expected table).
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conversation_async import ConversationClient
from conversation_async._resources._base import (
    ENDPOINT_API_ATTRIBUTE,
    ENDPOINT_ATTRIBUTE,
    Resource,
)
from tests.conftest import SHARED_FIXTURES

CATALOG = SHARED_FIXTURES.parent / "api" / "conversation-api.md"
BATCH_CATALOG = SHARED_FIXTURES.parent / "api" / "batch-api.md"
README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- api-coverage:start -->", "<!-- api-coverage:end -->"
BATCH_START, BATCH_END = "<!-- batch-coverage:start -->", "<!-- batch-coverage:end -->"
_ROW = re.compile(r"^\| (\d+) \| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)`", re.M)
_BATCH_ROW = re.compile(r"^\| B(\d+) \| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)`", re.M)

Endpoint = tuple[str, str]


def client_endpoints(api: str = "conversation") -> dict[Endpoint, list[str]]:
    """(method, path) -> the client methods that call it on ``api``'s host, from the
    ``@endpoint`` marks."""
    client = ConversationClient("p", "id", "secret")
    found: dict[Endpoint, list[str]] = defaultdict(list)
    for attribute, resource in vars(client).items():
        if not isinstance(resource, Resource):
            continue
        for name, function in inspect.getmembers(type(resource), inspect.isfunction):
            mark = getattr(function, ENDPOINT_ATTRIBUTE, None)
            host = getattr(function, ENDPOINT_API_ATTRIBUTE, "conversation")
            if mark is not None and not name.startswith("_") and host == api:
                found[mark].append(f"client.{attribute}.{name}")
    return dict(found)


def _catalog(path: Path, row: re.Pattern[str]) -> dict[Endpoint, int]:
    if not path.is_file():
        pytest.skip(f"API catalog not found at {path} (clone without ../shared)")
    rows = row.findall(path.read_text(encoding="utf-8"))
    return {(method, route): int(number) for number, method, route in rows}


def catalog_endpoints() -> dict[Endpoint, int]:
    """(method, path) -> the Conversation catalog's row number."""
    return _catalog(CATALOG, _ROW)


def batch_catalog_endpoints() -> dict[Endpoint, int]:
    """(method, path) -> the Batch catalog's row number (B1 -> 1)."""
    return _catalog(BATCH_CATALOG, _BATCH_ROW)


def render_table(endpoints: dict[Endpoint, list[str]]) -> str:
    """The README's API coverage table, one row per endpoint in path order."""
    lines = ["| method | path | client method |", "|---|---|---|"]
    for (method, path), methods in sorted(endpoints.items(), key=lambda e: (e[0][1], e[0][0])):
        calls = ", ".join(f"`{m}`" for m in sorted(methods))
        lines.append(f"| {method} | `{path}` | {calls} |")
    return "\n".join(lines)


def test_catalog_lists_58_endpoints() -> None:
    """The catalog parser finds every numbered endpoint row (47 + 11)."""
    assert sorted(catalog_endpoints().values()) == list(range(1, 59))


def test_every_catalog_endpoint_has_a_client_method() -> None:
    """No endpoint of the catalog is missing from the client."""
    missing = sorted(set(catalog_endpoints()) - set(client_endpoints()))
    assert missing == []


def test_every_client_endpoint_is_in_the_catalog() -> None:
    """No client method is marked with an endpoint the catalog does not have (typos)."""
    unknown = sorted(set(client_endpoints()) - set(catalog_endpoints()))
    assert unknown == []


def _readme_table(start: str, end: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert start in text, f"README needs the {start} marker"
    assert end in text, f"README needs the {end} marker"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_readme_coverage_table_matches_the_client() -> None:
    """The README table is exactly what the client's marks produce."""
    expected = render_table(client_endpoints())
    current = _readme_table(START, END)
    assert current == expected, f"update README.md's API coverage table to:\n\n{expected}\n"


def test_batch_catalog_lists_7_endpoints() -> None:
    """The Batch catalog parser finds its seven endpoint rows, B1 to B7."""
    assert sorted(batch_catalog_endpoints().values()) == list(range(1, 8))


def test_every_batch_endpoint_has_a_client_method_and_no_other() -> None:
    """client.batches covers B1-B7 and marks no endpoint the Batch catalog lacks."""
    assert set(client_endpoints("batch")) == set(batch_catalog_endpoints())


def test_readme_batch_coverage_table_matches_the_client() -> None:
    """The README's Batch API table is exactly what the batch marks produce."""
    expected = render_table(client_endpoints("batch"))
    current = _readme_table(BATCH_START, BATCH_END)
    assert current == expected, f"update README.md's Batch API table to:\n\n{expected}\n"

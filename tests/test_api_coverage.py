"""Every catalog endpoint has a client method, and the README's coverage table says which.

Client methods carry ``@endpoint(METHOD, PATH)`` marks; the catalog is the endpoint tables of
``../shared/api/conversation-api.md`` §2. The README table between the ``api-coverage``
markers must equal :func:`render_table` (the failure message prints the expected table).
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conversation_async import ConversationClient
from conversation_async.resources._base import ENDPOINT_ATTRIBUTE, Resource
from tests.conftest import SHARED_FIXTURES

CATALOG = SHARED_FIXTURES.parent / "api" / "conversation-api.md"
README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- api-coverage:start -->", "<!-- api-coverage:end -->"
_ROW = re.compile(r"^\| (\d+) \| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)`", re.M)

Endpoint = tuple[str, str]


def client_endpoints() -> dict[Endpoint, list[str]]:
    """(method, path) -> the client methods that call it, from the ``@endpoint`` marks."""
    client = ConversationClient("p", "id", "secret")
    found: dict[Endpoint, list[str]] = defaultdict(list)
    for attribute, resource in vars(client).items():
        if not isinstance(resource, Resource):
            continue
        for name, function in inspect.getmembers(type(resource), inspect.isfunction):
            mark = getattr(function, ENDPOINT_ATTRIBUTE, None)
            if mark is not None and not name.startswith("_"):
                found[mark].append(f"client.{attribute}.{name}")
    return dict(found)


def catalog_endpoints() -> dict[Endpoint, int]:
    """(method, path) -> the catalog's row number."""
    if not CATALOG.is_file():
        pytest.skip(f"API catalog not found at {CATALOG} (clone without ../shared)")
    rows = _ROW.findall(CATALOG.read_text(encoding="utf-8"))
    return {(method, path): int(number) for number, method, path in rows}


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


def test_readme_coverage_table_matches_the_client() -> None:
    """The README table is exactly what the client's marks produce."""
    text = README.read_text(encoding="utf-8")
    assert START in text, f"README needs the {START} marker"
    assert END in text, f"README needs the {END} marker"
    current = text.split(START, 1)[1].split(END, 1)[0].strip()
    expected = render_table(client_endpoints())
    assert current == expected, f"update README.md's API coverage table to:\n\n{expected}\n"

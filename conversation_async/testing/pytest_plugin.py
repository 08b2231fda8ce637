"""pytest plugin: the ``sinch_emulator`` and ``sinch_client`` fixtures.

Installing the package is enough: pytest loads this module through the ``pytest11``
entry point. The fixtures are async, so they need pytest-asyncio (the ``test`` extra);
imports happen when a fixture is used, so unrelated test suites pay nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_asyncio import fixture
else:
    import importlib.util

    if importlib.util.find_spec("pytest_asyncio") is not None:
        from pytest_asyncio import fixture
    else:  # pytest then explains that async fixtures need a plugin, for tests that use them
        import pytest

        fixture = pytest.fixture

if TYPE_CHECKING:
    from .._client import ConversationClient
    from ._server import Emulator

__all__ = ["sinch_client", "sinch_emulator"]


@fixture
async def sinch_emulator() -> AsyncIterator[Emulator]:
    """A started :class:`Emulator` on 127.0.0.1 with a free port, stopped after the test."""
    from ._server import Emulator

    async with Emulator() as emulator:
        yield emulator


@fixture
async def sinch_client(sinch_emulator: Emulator) -> AsyncIterator[ConversationClient]:
    """A ``ConversationClient`` with default settings bound to ``sinch_emulator``, closed
    after the test; for other settings use ``sinch_emulator.client(...)``."""
    async with sinch_emulator.client() as client:
        yield client

"""pytest plugin: the ``conversation_emulator`` fixture.

Enable it in the root ``conftest.py`` with
``pytest_plugins = ["conversation_async.testing.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from ._server import Emulator


@pytest_asyncio.fixture
async def conversation_emulator() -> AsyncIterator[Emulator]:
    """A started :class:`Emulator` with default credentials, stopped after the test."""
    async with Emulator() as emulator:
        yield emulator

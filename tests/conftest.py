"""Shared test helpers: where the shared API fixtures live, and skipping without them."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from conversation_async import ConversationClient, RetryPolicy
from conversation_async.testing import Emulator

pytest_plugins = ["tests.redis_support"]  # the redis_test fixture

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
"""``../shared/fixtures`` beside the checkout; CI always has it, a lone clone may not."""


FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)
"""Real retry decisions with millisecond waits, so retry tests stay fast."""


def unused_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def shared_fixtures_dir() -> Path:
    """The shared fixtures folder, or skip the calling test with the reason."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES} (clone without ../shared)")
    return SHARED_FIXTURES


def load_shared_json(relative: str) -> Any:
    """Decode one file under ``../shared/fixtures``."""
    return json.loads((shared_fixtures_dir() / relative).read_text(encoding="utf-8"))


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator on 127.0.0.1 with a free port."""
    async with Emulator() as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[ConversationClient]:
    """A client for the emulator with fast retries (small back-off) and default limits."""
    async with emulator.client(retry=FAST_RETRY) as conversation_client:
        yield conversation_client

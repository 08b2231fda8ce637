"""Where a command that sends sends: the real API or the embedded emulator, never by accident.

The real API needs ``SINCH_PROJECT_ID``, ``SINCH_CLIENT_ID`` and ``SINCH_CLIENT_SECRET``;
the emulator needs ``--emulator``, which wins over credentials. Anything else is a usage
error naming each missing variable, found before anything is sent.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

from ._client import ConversationClient
from ._config import (
    ENV_VARS,
    REQUIRED_CREDENTIALS,
    ClientConfig,
    config_from_env,
    missing_credentials,
)
from ._errors import ConfigurationError

__all__ = ["EMULATOR", "Target", "add_emulator_argument", "choose_target", "connect"]

EMULATOR_HELP = (
    "send to the embedded emulator instead of the real API "
    "(wins over SINCH_* credentials; without it, all three credentials are required)"
)


@dataclass(frozen=True, slots=True)
class Target:
    """The real API configured by ``config``, or the embedded emulator when it is None."""

    config: ClientConfig | None = None


EMULATOR = Target()


def add_emulator_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--emulator`` flag of every command that sends."""
    parser.add_argument("--emulator", action="store_true", help=EMULATOR_HELP)


def _and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def choose_target(
    command: str, *, emulator: bool, environ: Mapping[str, str] | None = None
) -> Target | str:
    """The target of ``command``, or a usage error message saying what to set or pass."""
    if emulator:
        return EMULATOR
    missing = missing_credentials(environ)
    if missing:
        needed = _and_list([ENV_VARS[field] for field in REQUIRED_CREDENTIALS])
        return (
            f"{command}: the real API needs {needed}; missing: {', '.join(missing)} "
            "(or pass --emulator to send to the embedded emulator)"
        )
    try:
        return Target(config_from_env(environ))
    except ConfigurationError as exc:
        return f"{command}: {exc}"


@contextlib.asynccontextmanager
async def connect(target: Target) -> AsyncGenerator[tuple[ConversationClient, str], None]:
    """An open client of ``target`` (starting the emulator if need be) and where it sends."""
    if target.config is not None:
        async with ConversationClient.from_config(target.config) as client:
            yield client, f"Sinch API at {target.config.conversation_url}"
        return
    from .testing import Emulator

    async with Emulator() as emulator, emulator.client() as client:
        yield client, f"embedded emulator at {emulator.base_url}"

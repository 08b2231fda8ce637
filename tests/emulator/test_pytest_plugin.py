"""The ``conversation_emulator`` fixture, used by a separate pytest run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFTEST = 'pytest_plugins = ["conversation_async.testing.pytest_plugin"]\n'

TEST_MODULE = """
import aiohttp

from conversation_async.testing import Emulator


async def test_fixture_yields_a_started_emulator(conversation_emulator):
    assert isinstance(conversation_emulator, Emulator)
    async with aiohttp.ClientSession() as http:
        async with http.get(conversation_emulator.base_url + "/v1/nowhere") as response:
            assert response.status == 404
"""

INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def test_plugin_fixture_works_in_a_project_that_enables_it(tmp_path: Path) -> None:
    """A project declaring the plugin in its root conftest gets a started emulator."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_uses_plugin.py").write_text(TEST_MODULE)
    (tmp_path / "pytest.ini").write_text(INI)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout

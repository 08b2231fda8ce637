"""The pytest plugin: installing the package gives a user's tests the ``sinch_*`` fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"
USER_TEST = re.search(
    r"### Testing your code\n.*?```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S
)[1]  # type: ignore[index]
"""The README's example of a user's test, run as the user would."""

INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def test_installed_package_gives_user_tests_an_emulator_and_a_client(
    pytester: pytest.Pytester,
) -> None:
    """The README's example, in a project with no conftest, passes with the two fixtures."""
    pytester.makeini(INI)
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_listed_in_a_conftest_as_well_still_loads(pytester: pytest.Pytester) -> None:
    """Projects that still name the plugin in pytest_plugins run as before."""
    pytester.makeini(INI)
    pytester.makeconftest('pytest_plugins = ["conversation_async.testing.pytest_plugin"]\n')
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

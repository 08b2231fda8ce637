#!/usr/bin/env python3
"""Set up a virtual environment on first use, then run a project task.

    python3 dev.py demo     # the demo, against the embedded emulator unless SINCH_* is set
    python3 dev.py test     # the test suite (extra arguments go to pytest)
    python3 dev.py lint     # ruff, mypy --strict and pyright (strict), as CI runs them
    python3 dev.py bench    # the benchmark suite
    python3 dev.py test-lowest  # the test suite at the lowest declared runtime dependencies

Needs only Python 3.11+ and access to PyPI. The environment lives in ``.venv`` and is
reinstalled whenever ``pyproject.toml`` changes. ``test-lowest`` uses its own
``.venv-lowest``, where every runtime dependency, and those of the feature extras (every
extra but ``test`` and ``dev``), is pinned to the floor ``pyproject.toml`` declares for it
(``aiohttp>=3.14.1`` installs aiohttp 3.14.1); what those need, and the dev tools, resolve
as usual.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOWEST_VENV = ROOT / ".venv-lowest"
# The optional-dependency groups that are not runtime dependencies; every other extra
# (redis, otel, ...) is a feature's, and test-lowest pins its floors too.
TOOL_EXTRAS = ("test", "dev")
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][^,;\s]*)\s*$")


def venv_python(root: Path = VENV) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return root / scripts / ("python.exe" if os.name == "nt" else "python")


def lowest_pins() -> list[str]:
    """``name==floor`` for each runtime dependency, from its ``name>=floor`` in pyproject."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra, extra_requirements in project.get("optional-dependencies", {}).items():
        if extra not in TOOL_EXTRAS:
            requirements += extra_requirements
    pins = []
    for requirement in requirements:
        match = FLOOR.match(requirement)
        if match is None:
            sys.exit(f"dev.py: runtime dependency {requirement!r} is not of the form name>=floor")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def ensure_environment(root: Path = VENV, pins: list[str] | None = None) -> Path:
    """Create ``root`` and install the project with its dev tools, if not already current.

    ``pins`` (``name==version`` lines) constrain what pip may pick for those packages.
    """
    stamp = root / ".installed-from"
    constraints = "".join(f"{pin}\n" for pin in pins or ())
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + constraints.encode())
    python = venv_python(root)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted.hexdigest():
        return python
    if not python.exists():
        print(f"creating {root} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(root)
    print(f"installing conversation-async and its dev tools in {root.name} ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    if pins:
        (root / "constraints.txt").write_text(constraints)
        pip += ["--constraint", str(root / "constraints.txt")]
    subprocess.run([*pip, "--editable", ".[dev]"], check=True, cwd=ROOT)
    stamp.write_text(wanted.hexdigest())
    return python


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    tasks = ("demo", "test", "lint", "bench", "test-lowest")
    if not argv or argv[0] not in tasks:
        print(__doc__)
        return 2
    task, extra = argv[0], argv[1:]
    if task == "test-lowest":
        pins = lowest_pins()
        python = str(ensure_environment(LOWEST_VENV, pins))
        print(f"runtime dependencies pinned to their floors: {', '.join(pins)}", flush=True)
        return run(python, "-m", "pytest", *extra)
    python = str(ensure_environment())
    if task == "demo":
        return run(python, "-m", "conversation_async", "demo", *extra)
    if task == "test":
        return run(python, "-m", "pytest", *extra)
    if task == "bench":
        return run(python, "-m", "benchmarks", *extra)
    for command in (
        (python, "-m", "ruff", "check", "."),
        (python, "-m", "ruff", "format", "--check", "."),
        (python, "-m", "mypy", "--strict", "conversation_async", "examples"),
        # strict mode and the files it checks are in pyproject.toml's [tool.pyright]; named
        # explicitly, or a pyrightconfig.json in a parent directory would be used instead
        (python, "-m", "pyright", "--project", str(ROOT / "pyproject.toml")),
    ):
        if code := run(*command):
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

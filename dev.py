#!/usr/bin/env python3
"""Set up a virtual environment on first use, then run a project task.

    python3 dev.py demo     # the demo, against the embedded emulator unless SINCH_* is set
    python3 dev.py test     # the test suite (extra arguments go to pytest)
    python3 dev.py lint     # ruff and mypy --strict, as CI runs them
    python3 dev.py bench    # the benchmark suite

Needs only Python 3.11+ and access to PyPI. The environment lives in ``.venv`` and is
reinstalled whenever ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"


def venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> Path:
    """Create ``.venv`` and install the project with its dev tools, if not already current."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if not python.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing conversation-async and its dev tools ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--editable", ".[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)
    return python


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    tasks = ("demo", "test", "lint", "bench")
    if not argv or argv[0] not in tasks:
        print(__doc__)
        return 2
    task, extra = argv[0], argv[1:]
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
    ):
        if code := run(*command):
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

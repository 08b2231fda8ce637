"""The distributions: ``python -m build`` makes an sdist and, from it, a wheel, printing no
warning; each carries what it should (the sdist no tests and no benchmarks, see MANIFEST.in);
the wheel, installed into a fresh virtual environment, runs its ``conversation-async`` script.

Needs PyPI (or the pip cache): the build installs setuptools in an isolated environment, and
the wheel's install fetches its dependencies, pinned to the versions this test runs with.
"""

from __future__ import annotations

import email
import email.message
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import attrs
import pytest

from conversation_async import __version__

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "conversation_async"
SCRIPT = "conversation-async"
SKIPPED_ANYWHERE = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIPPED_AT_TOP = {"build", "dist", ".hypothesis"}
# What the sdist may hold at its top level besides the package (MANIFEST.in and setuptools).
SDIST_TOP = {
    "PKG-INFO",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "MANIFEST.in",
    "pyproject.toml",
    "setup.cfg",
    "examples",
    f"{PACKAGE}.egg-info",
}

pytestmark = pytest.mark.slow  # an sdist, a wheel from it, a venv and an install: about 25 s


@attrs.frozen
class Built:
    sdist: Path
    wheel: Path
    output: str  # everything ``python -m build`` printed, stdout and stderr interleaved


def _not_sources(directory: str, names: list[str]) -> set[str]:
    """Caches, build products and virtual environments: never copied for a build."""
    top = Path(directory) == ROOT
    return {
        name
        for name in names
        if name in SKIPPED_ANYWHERE
        or name.endswith(".egg-info")
        or (top and (name in SKIPPED_AT_TOP or name.startswith(".venv")))
        or (Path(directory) == ROOT / "benchmarks" and name == "results")
    }


def _clean_env(*drop: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", *drop}}


def _package_files() -> set[str]:
    """The package's files in the source tree, as ``conversation_async/...`` paths."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``python -m build`` on a copy of the working tree (so stale egg-info can't leak in)."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=_not_sources, symlinks=True)
    out = tmp / "dist"
    # PYTHONDONTWRITEBYTECODE makes setuptools warn that it skips byte-compiling: not ours.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_clean_env("PYTHONDONTWRITEBYTECODE"),
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Built(sdist, wheel, result.stdout)


def _metadata(text: str) -> email.message.Message:
    """A METADATA or PKG-INFO file: an email header block."""
    return email.message_from_string(text)


def test_build_prints_no_warning(built: Built) -> None:
    warnings = [line for line in built.output.splitlines() if "warning" in line.lower()]
    assert warnings == []


def test_distributions_are_named_after_the_version(built: Built) -> None:
    assert built.sdist.name == f"{PACKAGE}-{__version__}.tar.gz"
    assert built.wheel.name == f"{PACKAGE}-{__version__}-py3-none-any.whl"


def test_wheel_holds_the_package_its_license_and_metadata_only(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        dist_info = f"{PACKAGE}-{__version__}.dist-info"
        metadata = _metadata(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert {name for name in names if name.startswith(f"{PACKAGE}/")} == _package_files()
    assert f"{PACKAGE}/py.typed" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    others = {name for name in names if not name.startswith((f"{PACKAGE}/", f"{dist_info}/"))}
    assert others == set()  # no tests/, benchmarks/ or examples/ package in site-packages
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Framework :: AsyncIO" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX says it
    urls = {url.split(",")[0] for url in metadata.get_all("Project-URL") or []}
    assert urls == {"Homepage", "Documentation", "Changelog", "Issues"}
    assert re.search(rf"^{SCRIPT} = {PACKAGE}\.__main__:main$", entry_points, re.M)


def test_sdist_holds_no_tests_nor_benchmarks(built: Built) -> None:
    """The sdist carries no test suite (it would need the repository around it)."""
    top = f"{PACKAGE}-{__version__}"
    with tarfile.open(built.sdist) as sdist:
        names = {
            member.name.removeprefix(f"{top}/") for member in sdist.getmembers() if member.isfile()
        }
    assert {name.split("/")[0] for name in names} - {PACKAGE} <= SDIST_TOP
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"} <= names
    assert "examples/echo_bot.py" in names
    assert {name for name in names if name.startswith(f"{PACKAGE}/")} == _package_files()
    assert not [name for name in names if name.endswith((".pyc", ".pyo"))]


def _pins(wheel: Path) -> str:
    """``name==version`` for each runtime dependency, as installed where this test runs."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = _metadata(archive.read(f"{PACKAGE}-{__version__}.dist-info/METADATA").decode())
    names = [
        re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
        for requirement in metadata.get_all("Requires-Dist") or []
        if "extra ==" not in requirement
    ]
    assert names  # aiohttp, attrs, ...
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in names)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no pip of its own) with the wheel installed by this pip: its bin dir."""
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    scripts = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    constraints = tmp / "constraints.txt"
    constraints.write_text(_pins(built.wheel))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install"),
            *("--quiet", "--disable-pip-version-check", "--no-input"),
            *("--constraint", str(constraints), str(built.wheel)),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return scripts


def _run(scripts: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command of the venv from an empty folder, so the source tree can't be imported."""
    return subprocess.run(
        [str(scripts / command[0]), *command[1:]],
        capture_output=True,
        text=True,
        cwd=scripts.parent,
        env=_clean_env(),
        timeout=120,
        check=False,
    )


def test_installed_script_prints_the_version(installed: Path) -> None:
    result = _run(installed, SCRIPT, "--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{SCRIPT} {__version__}\n", "")


def test_installed_script_runs_the_cli(installed: Path) -> None:
    result = _run(installed, SCRIPT, "demo", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {SCRIPT} demo")


def test_installed_package_is_the_wheel_and_typed(installed: Path) -> None:
    code = "import conversation_async as p, pathlib; print(pathlib.Path(p.__file__).parent)"
    result = _run(installed, "python", "-c", code)
    assert result.returncode == 0, result.stderr
    package = Path(result.stdout.strip())
    assert package.parent.name == "site-packages"
    assert installed.parent in package.parents
    assert (package / "py.typed").is_file()

"""The package's folders show its layers, and none of its modules shadows the stdlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conversation_async"
IO_MODULES = {"asyncio", "aiohttp", "yarl", "socket", "ssl", "time", "threading", "selectors"}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by ``path``, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
                if node.module is None:
                    found.update(f"{module}.{alias.name}" for alias in node.names)
                else:
                    found.add(module)
            elif node.module:
                found.add(node.module)
    return found


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != "conversation_async":
        return None
    base = PACKAGE.parent.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_the_pure_core_imports_neither_asyncio_nor_aiohttp() -> None:
    """Every module of conversation_async._core, and every package module they import in
    turn, is free of asyncio, aiohttp and the clock: its rules are testable without I/O."""
    todo = sorted((PACKAGE / "_core").glob("*.py"))
    seen: set[Path] = set()
    offending: list[str] = []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top in IO_MODULES:
                offending.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
            inner = _module_path(name)
            if inner is not None and inner != PACKAGE / "__init__.py":
                todo.append(inner)
    assert not offending, offending
    assert any(p.parent.name == "_core" for p in seen)


def test_no_module_in_the_package_shadows_a_stdlib_module() -> None:
    """A script run from inside the package folder must still import the real stdlib."""
    clashes = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.stem in sys.stdlib_module_names
    ]
    assert not clashes, clashes


def test_json_libraries_import_from_inside_the_package_folder() -> None:
    """With the package folder first on sys.path, ``json`` and ``orjson`` still import."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, orjson; print(json.dumps(orjson.loads(b'[1]')))"],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1]"


CALLBACKS_WITHOUT_FRAMEWORKS = """
import asyncio, json, sys
from conversation_async.callbacks import (
    CallbackReceiver, parse_callback, signature_headers, verify_signature,
)
body = json.dumps({"message_delivery_report": {"message_id": "m", "status": "READ"}}).encode()
headers = {**signature_headers("s", body), "Content-Type": "application/json"}
assert verify_signature("s", headers, body)
assert parse_callback(body).message_delivery_report.status == "READ"
receiver = CallbackReceiver("s")
receiver.asgi()
assert asyncio.run(receiver.receive(headers, body)) == 200
print(sorted(m for m in sys.modules if m == "aiohttp.web" or m.split(".")[0] == "starlette"))
"""


def test_callbacks_verify_parse_and_receive_without_loading_a_web_framework() -> None:
    """Import, verify, parse and receive through the core load no aiohttp.web, no starlette."""
    done = subprocess.run(
        [sys.executable, "-c", CALLBACKS_WITHOUT_FRAMEWORKS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

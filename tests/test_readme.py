"""The README's code examples stay valid Python, and the callbacks example really works."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from conversation_async.callbacks import signature_headers

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_compiles(index: int) -> None:
    """Every python example parses (top-level await allowed, as in a notebook or REPL)."""
    compile(BLOCKS[index], f"README block {index}", "exec", flags=0x2000)  # top-level await


def test_readme_callbacks_example_verifies_and_parses_a_signed_callback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The Callbacks section's handle() accepts a genuine callback and refuses a forged one."""
    block = next(b for b in BLOCKS if "def handle(" in b)
    namespace: dict[str, Any] = {}
    exec(block.replace("WEBHOOK_SECRET", "s3cret"), namespace)  # noqa: S102 - our own README
    body = json.dumps(
        {"app_id": "a", "message_delivery_report": {"message_id": "m", "status": "DELIVERED"}}
    ).encode()
    namespace["handle"](signature_headers("s3cret", body, timestamp=int(time.time())), body)
    assert "DELIVERED" in capsys.readouterr().out
    with pytest.raises(PermissionError):
        namespace["handle"](signature_headers("other", body), body)

"""The public API is exactly what the package exports; changing it must be deliberate."""

from __future__ import annotations

from pathlib import Path

import conversation_async
from conversation_async import callbacks, models, testing

TOP_LEVEL = {
    "ApiError",
    "AsyncPager",
    "AuthMethod",
    "AuthenticationError",
    "BadRequestError",
    "CallbackParseError",
    "CampaignMismatchError",
    "ClientConfig",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "ConversationClient",
    "ConversationError",
    "InvalidResponseError",
    "JournalError",
    "LocalRateLimiter",
    "NoResponseError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimiter",
    "RedirectError",
    "Region",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "SerializationError",
    "ServerError",
    "TokenError",
    "TransportError",
    "__version__",
    "credentials_in_env",
}


def test_top_level_exports_are_pinned() -> None:
    """conversation_async exports exactly the documented names."""
    assert set(conversation_async.__all__) == TOP_LEVEL


def test_every_export_resolves() -> None:
    """Each name in __all__ (package, models, testing, callbacks) is importable."""
    for module in (conversation_async, models, testing, callbacks):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_models_export_the_messages_area() -> None:
    """The names the quick start and resources rely on come from conversation_async.models."""
    needed = {
        "AppMessage",
        "ContactRecipient",
        "ConversationMessage",
        "IdentifiedRecipient",
        "SendMessageRequest",
        "SendMessageResponse",
        "TextMessage",
    }
    assert needed <= set(models.__all__)
    assert len(models.__all__) == len(set(models.__all__))


def test_callbacks_export_the_receiver_and_its_stores() -> None:
    """The receiver, its store protocol and default, and dedupe_key are public names."""
    needed = {
        "CallbackReceiver",
        "DedupeStore",
        "Mark",
        "MemoryDedupeStore",
        "ReceiverStats",
        "SignatureVerifier",
        "dedupe_key",
        "parse_callback",
        "verify_signature",
    }
    assert needed <= set(callbacks.__all__)
    assert not {name for name in callbacks.__all__ if name.startswith("_")}
    assert len(callbacks.__all__) == len(set(callbacks.__all__))


def test_models_all_is_a_literal_list_of_every_submodules_models() -> None:
    """``from conversation_async.models import *`` gives every model, and type checkers
    see the same names: the package lists them literally, matching its modules' lists."""
    import ast
    import importlib
    import pkgutil

    import conversation_async.models as models

    expected: set[str] = set()
    for info in pkgutil.iter_modules(models.__path__):
        expected |= set(importlib.import_module(f"{models.__name__}.{info.name}").__all__)
    expected.add("UnknownVariant")  # the fallback of every union, defined with the converter
    tree = ast.parse(Path(models.__file__).read_text(encoding="utf-8"))
    literal = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    )
    assert isinstance(literal, ast.List)
    listed = [ast.literal_eval(element) for element in literal.elts]
    assert sorted(listed) == sorted(expected)


def test_examples_import_only_public_names() -> None:
    """Examples are what users copy: they never import a private (``_``) module."""
    import ast

    examples = Path(__file__).resolve().parents[1] / "examples"
    private = []
    for path in sorted(examples.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            private += [
                f"{path.name}: {m}"
                for m in modules
                if m.startswith("conversation_async")
                and any(part.startswith("_") for part in m.split("."))
            ]
    assert not private


PUBLIC_MODULES = {
    "conversation_async",
    "conversation_async.bulk",
    "conversation_async.callbacks",
    "conversation_async.models",
    "conversation_async.redis",
    "conversation_async.testing",
    "conversation_async.testing.pytest_plugin",  # the pytest11 entry point
}


def test_every_other_module_is_private() -> None:
    """Only the curated modules are public; every implementation module has a ``_`` in its
    path, so what users may import is visible from the name alone (as in httpx)."""
    import pkgutil

    found = {"conversation_async"} | {
        info.name
        for info in pkgutil.walk_packages(conversation_async.__path__, "conversation_async.")
    }
    public = {
        name for name in found if not any(part.startswith("_") for part in name.split(".")[1:])
    }
    assert public == PUBLIC_MODULES

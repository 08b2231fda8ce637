"""PATCH semantics: ``update_mask`` field masks and RFC 7386 JSON merge patches.

The emulator accepts the mask in one form only, ``update_mask=a,b`` (catalog §2.13, the
current generated clients' form), and rejects the others so a client sending a different
encoding finds out in tests rather than against the live API.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._envelope import invalid_argument


def parse_update_mask(request: web.Request, fields: Mapping[str, Any]) -> list[str] | None:
    """The masked paths of ``update_mask``, or ``None`` when it is absent or empty.

    Unknown paths, empty segments, a repeated parameter or ``update_mask.paths`` are 400s
    naming ``update_mask``.
    """
    query = request.query
    if "update_mask.paths" in query:
        raise invalid_argument(
            [("update_mask", "send the mask as one comma-joined update_mask parameter")]
        )
    values = query.getall("update_mask", [])
    if len(values) > 1:
        raise invalid_argument([("update_mask", "give update_mask once, comma-joined")])
    if not values or values[0].strip() == "":
        return None
    paths = [path.strip() for path in values[0].split(",")]
    unknown = [path for path in paths if path not in fields]
    if unknown:
        allowed = ", ".join(fields)
        raise invalid_argument(
            [("update_mask", f"unknown field path(s) {', '.join(unknown)}; allowed: {allowed}")]
        )
    return list(dict.fromkeys(paths))


def apply_update(
    current: Mapping[str, Any],
    body: Mapping[str, Any],
    mask: list[str] | None,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    """A copy of ``current`` updated from ``body``.

    ``fields`` maps every writable field to its cleared value. With a mask, exactly the
    masked fields change (one absent from ``body``, or null, is cleared); without one, the
    writable fields present in ``body`` change and read-only ones are ignored.
    """
    updated = copy.deepcopy(dict(current))
    paths = mask if mask is not None else [name for name in body if name in fields]
    for path in paths:
        value = body.get(path)
        updated[path] = copy.deepcopy(value if value is not None else fields[path])
    return updated


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: merge ``patch`` into ``target`` (null deletes a member); returns a new value."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result

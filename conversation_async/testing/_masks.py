"""PATCH semantics: ``update_mask`` field masks and RFC 7386 JSON merge patches.

The mask arrives in one of the two encodings clients send (catalog §2.13): one
comma-joined ``update_mask=a,b`` (the current generated clients) or a repeated
``update_mask.paths=a&update_mask.paths=b`` (the official Python 1.1.4 and .NET SDKs,
OAS21's ``explode: true``). Anything else (both at once, ``update_mask`` repeated, a
comma inside one ``update_mask.paths``, unknown paths) is a 400, so a client sending
another encoding finds out in tests rather than against the live API.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from .. import _jsoncodec
from ._envelope import invalid_argument


def mask_paths(
    joined: Sequence[str], repeated: Sequence[str], fields: Mapping[str, Any]
) -> list[str] | None:
    """The masked paths given the ``update_mask`` values (``joined``) and the
    ``update_mask.paths`` values (``repeated``) of a query; ``None`` when there is no mask.

    Raises ``ValueError`` describing what is wrong with the mask.
    """
    if joined and repeated:
        raise ValueError("give either update_mask or update_mask.paths, not both")
    if len(joined) > 1:
        raise ValueError("give update_mask once, comma-joined (or repeat update_mask.paths)")
    if joined:
        if joined[0].strip() == "":
            return None
        paths = [path.strip() for path in joined[0].split(",")]
    else:
        if not repeated:
            return None
        if any("," in path for path in repeated):
            raise ValueError("give one path per update_mask.paths parameter")
        paths = [path.strip() for path in repeated]
    unknown = [path or "(empty)" for path in paths if path not in fields]
    if unknown:
        allowed = ", ".join(fields)
        raise ValueError(f"unknown field path(s) {', '.join(unknown)}; allowed: {allowed}")
    return list(dict.fromkeys(paths))


def parse_update_mask(request: web.Request, fields: Mapping[str, Any]) -> list[str] | None:
    """The masked paths of the request's query (see :func:`mask_paths`), or ``None``; a bad
    mask is a 400 naming ``update_mask``."""
    query = request.query
    try:
        return mask_paths(
            query.getall("update_mask", []), query.getall("update_mask.paths", []), fields
        )
    except ValueError as error:
        raise invalid_argument([("update_mask", str(error))]) from None


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
    if not _jsoncodec.is_object(patch):
        return copy.deepcopy(patch)
    result = dict(target) if _jsoncodec.is_object(target) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result

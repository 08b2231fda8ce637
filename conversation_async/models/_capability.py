"""Channel capability queries (catalog §2.7).

The answer arrives later as a ``CAPABILITY`` callback; the response only echoes the query.
"""

from __future__ import annotations

import attrs

from ._common import Recipient

__all__ = ["QueryCapabilityRequest", "QueryCapabilityResponse"]


@attrs.define(frozen=True, kw_only=True)
class QueryCapabilityRequest:
    """Body of ``POST /capability:query``: which channels can reach ``recipient``."""

    app_id: str
    recipient: Recipient
    request_id: str | None = None


@attrs.define(frozen=True, kw_only=True)
class QueryCapabilityResponse:
    """The accepted query; ``request_id`` matches the ``CAPABILITY`` callback."""

    app_id: str | None = None
    recipient: Recipient | None = None
    request_id: str | None = None

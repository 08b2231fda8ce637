"""``client.opt_ins``: Legacy opt-in/opt-out registration (catalog §2.10).

Legacy: only older sources document these endpoints and the current official SDKs lack them;
the live API may answer 404. The outcome arrives as an ``OPT_IN`` / ``OPT_OUT`` callback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ..models import (
    ConversationChannel,
    OptInRegisterRequest,
    OptInRegisterResponse,
    OptOutRegisterRequest,
    OptOutRegisterResponse,
    ProcessingStrategy,
    Recipient,
)
from ._base import Resource, endpoint, query, require

__all__ = ["OptInsResource"]

R = TypeVar("R", OptInRegisterResponse, OptOutRegisterResponse)


class OptInsResource(Resource):
    """Legacy opt-in/opt-out registration (catalog §2.10); may be gone from the live API."""

    @endpoint("POST", "/v1/projects/{project_id}/optins:register")
    async def register_opt_in(
        self,
        *,
        app_id: str,
        channels: Sequence[ConversationChannel | str],
        recipient: Recipient,
        processing_strategy: ProcessingStrategy | str | None = None,
        request_id: str | None = None,
    ) -> OptInRegisterResponse:
        """Legacy: register that ``recipient`` opts in on ``channels``; see OPT_IN callbacks.

        ``request_id`` is echoed back; it is not used for idempotency.
        """
        return await self._register(
            "optins:register",
            OptInRegisterRequest,
            OptInRegisterResponse,
            app_id=app_id,
            channels=channels,
            recipient=recipient,
            processing_strategy=processing_strategy,
            request_id=request_id,
        )

    @endpoint("POST", "/v1/projects/{project_id}/optouts:register")
    async def register_opt_out(
        self,
        *,
        app_id: str,
        channels: Sequence[ConversationChannel | str],
        recipient: Recipient,
        processing_strategy: ProcessingStrategy | str | None = None,
        request_id: str | None = None,
    ) -> OptOutRegisterResponse:
        """Legacy: register that ``recipient`` opts out on ``channels``; see OPT_OUT callbacks.

        ``request_id`` is echoed back; it is not used for idempotency.
        """
        return await self._register(
            "optouts:register",
            OptOutRegisterRequest,
            OptOutRegisterResponse,
            app_id=app_id,
            channels=channels,
            recipient=recipient,
            processing_strategy=processing_strategy,
            request_id=request_id,
        )

    async def _register(
        self,
        path: str,
        request_type: type[OptInRegisterRequest | OptOutRegisterRequest],
        into: type[R],
        *,
        app_id: str,
        channels: Sequence[ConversationChannel | str],
        recipient: Recipient,
        processing_strategy: ProcessingStrategy | str | None,
        request_id: str | None,
    ) -> R:
        """Both registrations: the same body and query, to their own path."""
        require(app_id=app_id, channels=channels or None, recipient=recipient)
        request = request_type(
            app_id=app_id,
            channels=list(channels),
            recipient=recipient,
            processing_strategy=processing_strategy,
        )
        return await self._call(
            "POST",
            self._url(path),
            params=query(request_id=request_id),
            body=request,
            into=into,
        )

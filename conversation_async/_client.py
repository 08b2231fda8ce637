"""``ConversationClient``: configuration, lifecycle, and the resources hanging off it.

One client holds one ``aiohttp.ClientSession`` (its own, opened lazily inside the running
loop, or one the caller lends and closes), one token manager and one set of connection
slots, all shared by every resource. Make one per process (per event loop) and reuse it.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import aiohttp
import attrs

from ._bulk import BulkMessagesResource
from ._checked import as_object
from ._config import DEFAULT_MAX_RESPONSE_SIZE, AuthMethod, ClientConfig, Region, config_from_env
from ._core.retry import RetryPolicy
from ._errors import ClientStateError, ConfigurationError
from ._http.ratelimit import RateLimiter
from ._http.transport import Transport
from ._resources._apps import AppsResource
from ._resources._batches import BatchesResource
from ._resources._capability import CapabilityResource
from ._resources._consents import ConsentsResource
from ._resources._contacts import ContactsResource
from ._resources._conversations import ConversationsResource
from ._resources._events import EventsResource
from ._resources._opt_ins import OptInsResource
from ._resources._project_settings import ProjectSettingsResource
from ._resources._templates import TemplatesResource
from ._resources._templates_v1 import TemplatesV1Resource
from ._resources._transcoding import TranscodingResource
from ._resources._webhooks import WebhooksResource

__all__ = ["ConversationClient"]


def _retry_policy(
    retry: RetryPolicy | None, max_retries: int | None, retry_non_idempotent: bool | None
) -> RetryPolicy:
    """The policy from ``retry=``, or the default one tuned by the two shortcuts."""
    if retry is not None:
        if max_retries is not None or retry_non_idempotent is not None:
            raise ConfigurationError(
                "pass either retry= or max_retries/retry_non_idempotent, not both"
            )
        return retry
    policy = RetryPolicy()
    if max_retries is not None:
        policy = attrs.evolve(policy, max_retries=max_retries)
    if retry_non_idempotent is not None:
        policy = attrs.evolve(policy, retry_non_idempotent=retry_non_idempotent)
    return policy


class ConversationClient:
    """Async client for the Sinch Conversation API.

    ::

        async with ConversationClient(project_id, key_id, key_secret, region=Region.EU) as client:
            sent = await client.messages.send(app_id=..., recipient=..., message=...)

    ``timeout`` bounds one HTTP attempt, ``deadline`` a whole call including retries.
    ``max_retries`` (default 3) and ``retry_non_idempotent`` (repeat POSTs after 5xx or
    timeouts, which may duplicate sends) tune the default :class:`RetryPolicy`; pass
    ``retry=RetryPolicy(...)`` instead to set back-off too; :meth:`with_options` gives
    some calls other limits. ``rate_limit`` caps requests
    per second for the whole client (default: none until the API answers 429, then an
    adaptive limit). ``rate_limiter`` paces the client with a :class:`RateLimiter` of your
    own instead, which several clients may share (``LocalRateLimiter`` in one process,
    ``conversation_async.redis.RedisRateLimiter`` across processes); it is never closed
    here. ``max_response_size`` (8 MiB) bounds any answer's body. ``session`` is an
    ``aiohttp.ClientSession`` to borrow; it is never closed here, and its connector's
    ``ssl`` setting is overridden by ``ssl_context`` (or the system trust store) on every
    request.
    """

    messages: BulkMessagesResource
    apps: AppsResource
    contacts: ContactsResource
    conversations: ConversationsResource
    events: EventsResource
    transcoding: TranscodingResource
    capability: CapabilityResource
    webhooks: WebhooksResource
    consents: ConsentsResource
    opt_ins: OptInsResource
    project_settings: ProjectSettingsResource
    templates: TemplatesResource
    templates_v1: TemplatesV1Resource
    batches: BatchesResource

    def __init__(
        self,
        project_id: str,
        client_id: str,
        client_secret: str,
        *,
        region: Region | str = Region.US,
        auth: AuthMethod | str = AuthMethod.OAUTH,
        conversation_url: str | None = None,
        templates_url: str | None = None,
        batch_url: str | None = None,
        auth_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        max_retries: int | None = None,
        retry_non_idempotent: bool | None = None,
        retry: RetryPolicy | None = None,
        connection_limit: int = 100,
        rate_limit: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        hosts = {
            "conversation_url": conversation_url,
            "templates_url": templates_url,
            "batch_url": batch_url,
            "auth_url": auth_url,
        }
        config = ClientConfig(
            project_id=project_id,
            client_id=client_id,
            client_secret=client_secret,
            region=region,
            auth=auth,
            **{name: url for name, url in hosts.items() if url is not None},
            timeout=timeout,
            deadline=deadline,
            connection_limit=connection_limit,
            rate_limit=rate_limit,
            retry=_retry_policy(retry, max_retries, retry_non_idempotent),
            max_response_size=max_response_size,
        )
        self._setup(config, session, ssl_context, rate_limiter)

    @classmethod
    def from_config(
        cls,
        config: ClientConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> Self:
        """A client for a prepared :class:`ClientConfig` (e.g. with a custom RetryPolicy)."""
        client = cls.__new__(cls)
        client._setup(config, session, ssl_context, rate_limiter)
        return client

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
        rate_limiter: RateLimiter | None = None,
        **overrides: Any,
    ) -> Self:
        """A client configured from ``SINCH_PROJECT_ID``, ``SINCH_CLIENT_ID``,
        ``SINCH_CLIENT_SECRET``, ``SINCH_REGION``, ``SINCH_AUTH`` and the URL overrides
        ``SINCH_CONVERSATION_URL``, ``SINCH_TEMPLATES_URL``, ``SINCH_BATCH_URL``,
        ``SINCH_AUTH_URL``."""
        config = config_from_env(environ, **overrides)
        return cls.from_config(
            config, session=session, ssl_context=ssl_context, rate_limiter=rate_limiter
        )

    def _setup(
        self,
        config: ClientConfig,
        session: aiohttp.ClientSession | None,
        ssl_context: ssl.SSLContext | None,
        rate_limiter: RateLimiter | None,
    ) -> None:
        transport = Transport(
            config, session=session, ssl_context=ssl_context, rate_limiter=rate_limiter
        )
        self._attach(config, transport, owner=True)

    def _attach(self, config: ClientConfig, transport: Transport, *, owner: bool) -> None:
        """Bind the resources to ``transport``; their calls take limits from ``config``."""
        self._config = config
        self._transport = transport
        self._owner = owner
        self.messages = BulkMessagesResource(transport, config)
        self.apps = AppsResource(transport, config)
        self.contacts = ContactsResource(transport, config)
        self.conversations = ConversationsResource(transport, config)
        self.events = EventsResource(transport, config)
        self.transcoding = TranscodingResource(transport, config)
        self.capability = CapabilityResource(transport, config)
        self.webhooks = WebhooksResource(transport, config)
        self.consents = ConsentsResource(transport, config)
        self.opt_ins = OptInsResource(transport, config)
        self.project_settings = ProjectSettingsResource(transport, config)
        self.templates = TemplatesResource(transport, config)
        self.templates_v1 = TemplatesV1Resource(transport, config)
        self.batches = BatchesResource(transport, config)

    def with_options(
        self,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        max_retries: int | None = None,
        retry_non_idempotent: bool | None = None,
    ) -> Self:
        """This client with other per-call limits, for the calls made through the view::

            await client.with_options(deadline=5).messages.send(...)

        Options not given keep this client's values. The view shares this client's session,
        token, rate limiter, retry budget and connection slots, so views are cheap: make
        one per call if you like. The base client owns all of them: ``aclose()`` (and
        ``async with``) on a view does nothing, and closing the base client closes its views.
        """
        config = self._config
        retry = config.retry
        if max_retries is not None:
            if isinstance(max_retries, bool) or not isinstance(as_object(max_retries), int):
                raise ConfigurationError(f"max_retries must be an int, got {max_retries!r}")
            if max_retries < 0:
                raise ConfigurationError(f"max_retries must be >= 0, got {max_retries!r}")
            retry = attrs.evolve(retry, max_retries=max_retries)
        if retry_non_idempotent is not None:
            if not isinstance(as_object(retry_non_idempotent), bool):
                raise ConfigurationError(
                    f"retry_non_idempotent must be a bool, got {retry_non_idempotent!r}"
                )
            retry = attrs.evolve(retry, retry_non_idempotent=retry_non_idempotent)
        view = type(self).__new__(type(self))
        view._attach(
            attrs.evolve(
                config,
                timeout=config.timeout if timeout is None else timeout,
                deadline=config.deadline if deadline is None else deadline,
                retry=retry,
            ),
            self._transport,
            owner=False,
        )
        return view

    @property
    def config(self) -> ClientConfig:
        """The immutable configuration (its ``repr`` hides the secret)."""
        return self._config

    @property
    def rate_limit(self) -> float | None:
        """The current request-rate limit per second of the client's limiter (None: no limit
        so far)."""
        return self._transport.rate_limiter.limit

    @property
    def closed(self) -> bool:
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the session this client opened (not a borrowed one). Safe to call twice;
        does nothing on a :meth:`with_options` view (the base client owns the session)."""
        if self._owner:
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        if self.closed:
            raise ClientStateError("this ConversationClient is closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        config = self._config
        return (
            f"ConversationClient(project_id={config.project_id!r}, region={config.region.value!r}, "
            f"auth={config.auth.value!r}, url={config.conversation_url!r}, closed={self.closed})"
        )

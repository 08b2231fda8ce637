"""A stateful fake of the Sinch Conversation API, for tests, benchmarks and demos.

``async with Emulator() as emu:`` serves every endpoint of the API catalog (Conversation
API, Templates v1/v2, the Batch API below ``emu.batch_url``) and the OAuth2 token endpoint
over real loopback HTTP;
``emu.script(...)`` injects faults on cue and ``emu.inject_faults(route, FaultPlan(...))``
at random (seeded), in the ways of :class:`FaultMode`; every accepted send is kept in
``emu.ledger`` (:class:`LedgerEntry`); registered webhooks receive signed callbacks, each
recorded as a :class:`CallbackDelivery`. See :class:`Emulator`.
The emulator works on plain JSON, independently of the SDK's models.

Standalone, ``python -m conversation_async.testing`` (or ``python -m conversation_async
emulator``) serves it for other processes, which drive it through a control API under
``/_emulator/`` (inbound messages, webhooks, ledger, faults, rate limit, Batch API
settings, the batch clock) or the matching
sub-commands; see ``conversation_async.testing.__main__``.
"""

from ._batch_rules import BatchSettings
from ._callbacks import CallbackDelivery
from ._clock import Clock, ManualClock
from ._faults import ScriptedResponse
from ._ledger import LedgerEntry
from ._plans import FaultMode, FaultPlan
from ._server import ROUTE_NAMES, Emulator
from ._store import Store, StoredBatch, StoredEvent, StoredMessage

__all__ = [
    "ROUTE_NAMES",
    "BatchSettings",
    "CallbackDelivery",
    "Clock",
    "Emulator",
    "FaultMode",
    "FaultPlan",
    "LedgerEntry",
    "ManualClock",
    "ScriptedResponse",
    "Store",
    "StoredBatch",
    "StoredEvent",
    "StoredMessage",
]

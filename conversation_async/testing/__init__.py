"""A stateful fake of the Sinch Conversation API, for tests, benchmarks and demos.

``async with Emulator() as emu:`` serves every endpoint of the API catalog (Conversation
API, Templates v1/v2) and the OAuth2 token endpoint over real loopback HTTP;
``emu.script(...)`` injects faults; registered webhooks receive signed callbacks, each
recorded as a :class:`CallbackDelivery`. See :class:`Emulator`.
The emulator works on plain JSON, independently of the SDK's models.
"""

from ._callbacks import CallbackDelivery
from ._faults import ScriptedResponse
from ._server import ROUTE_NAMES, Emulator
from ._store import Store, StoredEvent, StoredMessage

__all__ = [
    "ROUTE_NAMES",
    "CallbackDelivery",
    "Emulator",
    "ScriptedResponse",
    "Store",
    "StoredEvent",
    "StoredMessage",
]

"""A stateful fake of the Sinch Conversation API, for tests, benchmarks and demos.

``async with Emulator() as emu:`` serves the message routes and the OAuth2 token endpoint
over real loopback HTTP; ``emu.script(...)`` injects faults. See :class:`Emulator`.
The emulator works on plain JSON, independently of the SDK's models.
"""

from ._faults import ScriptedResponse
from ._server import ROUTE_NAMES, Emulator
from ._store import Store, StoredMessage

__all__ = ["ROUTE_NAMES", "Emulator", "ScriptedResponse", "Store", "StoredMessage"]

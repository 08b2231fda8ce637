"""The I/O edge of the call path: the aiohttp driver and the asyncio waits around it.

The transport takes a rate turn, a connection slot and a credential, sends one attempt and
obeys the action the pure call state (:mod:`conversation_async._core.call`) answers. Only
this package touches aiohttp's client API.
"""

"""The pure core of the call path: decisions without I/O.

Retry policy, the per-call state (an attempt's outcome in, the next action out), token
timing and rate arithmetic. Nothing here imports asyncio or aiohttp, and time is always
passed in, so every rule is tested as a table without sockets (tests/core).
"""

"""Benchmarks: the SDK measured against raw aiohttp on the same emulator, as ratios."""

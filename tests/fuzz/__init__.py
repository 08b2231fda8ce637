"""Property-based (hypothesis) fuzz tests of the parsers, the serde layer and signatures.

Every test takes its settings from :func:`fuzz_settings`, whose parent is one of two profiles
registered here (not loaded globally, so other test packages keep hypothesis' defaults):

- ``fuzz-ci`` (the default): derandomized, no example database, so a CI run is the same
  run every time and a failure reproduces locally with the same command.
- ``fuzz-deep``: random seeds and 20x the examples, for hunting locally:
  ``HYPOTHESIS_PROFILE=fuzz-deep .venv/bin/pytest tests/fuzz``.

``HYPOTHESIS_PROFILE`` names the profile; a name that is not one of these two means
``fuzz-ci``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["fuzz_settings"]

settings.register_profile(
    "fuzz-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
)
settings.register_profile(
    "fuzz-deep",
    derandomize=False,
    deadline=None,
    print_blob=True,
)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci")
if _PROFILE not in ("fuzz-ci", "fuzz-deep"):
    _PROFILE = "fuzz-ci"
_SCALE = 20 if _PROFILE == "fuzz-deep" else 1


def fuzz_settings(max_examples: int, *, too_slow: bool = False) -> settings:
    """Settings for one fuzz test: the active profile with ``max_examples`` (scaled).

    ``too_slow=True`` suppresses the ``too_slow`` and ``data_too_large`` health checks; it is
    for model-shaped documents, which are large by design (a callback nests an app message,
    its channel overrides and their cards), so hypothesis' generation-time budget is the wrong
    yardstick for them. The tests stay fast because their example counts are small.
    """
    suppressed = [HealthCheck.too_slow, HealthCheck.data_too_large] if too_slow else []
    return settings(
        settings.get_profile(_PROFILE),
        max_examples=max_examples * _SCALE,
        suppress_health_check=suppressed,
    )

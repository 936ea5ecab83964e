"""Validation where the traffic is: a recording, validating proxy and an SSBTEK test double.

Both commands need the ``serve`` extra (aiohttp); :func:`require_aiohttp` says how to install it
instead of failing with a traceback. Nothing here imports aiohttp at module level, so the rest of
the command line starts as fast as before.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = "this command needs the 'serve' extra: pip install 'ssbtek-validator[serve]'"


def aiohttp_missing() -> str | None:
    """None when aiohttp can be imported, else the message telling the user how to get it."""
    return None if importlib.util.find_spec("aiohttp") is not None else INSTALL_HINT

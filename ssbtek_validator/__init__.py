"""ssbtek-validator: conformance checks for SSBTEK requests and answers.

The library API mirrors the CLI: :func:`validate` (in :mod:`ssbtek_validator.api`) returns the same
:class:`RunResult` the command prints, so anything the tool reports can be asserted on in a vendor's own
tests. Every public name is imported from its stage on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one source of the version: the wheel's metadata is read from here (hatch's dynamic version).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from ssbtek_validator.api import packs_with, validate
    from ssbtek_validator.packs.schema_packs import Pack, PackError, builtin_packs, load_bundle
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.reading.limits import DEFAULT_LIMITS, Limits
    from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, RunResult, Severity, Verdict
    from ssbtek_validator.run.config import ConfigError, RuleConfig
    from ssbtek_validator.run.driver import validate_pair
    from ssbtek_validator.run.options import Options

# Public names and the submodule each lives in. They are imported on first use (PEP 562), so that
# importing a light submodule (the pytest plugin loads ``ssbtek_validator.results.model`` at every pytest start)
# does not pull in the engine, the packs and lxml's schema compilation with it, and so that the command
# (``__main__.run``) imports everything it needs with the garbage collector paused.
_LAZY = {
    "DEFAULT_LIMITS": "reading.limits",
    "Limits": "reading.limits",
    "ConfigError": "run.config",
    "RuleConfig": "run.config",
    "load_config": "run.config",
    "validate": "api",
    "packs_with": "api",
    "Options": "run.options",
    "validate_paths": "run.driver",
    "validate_sources": "run.driver",
    "validate_pair": "run.driver",
    "ExchangeResult": "results.model",
    "Finding": "results.model",
    "MessageResult": "results.model",
    "RunResult": "results.model",
    "Severity": "results.model",
    "Verdict": "results.model",
    "Source": "reading.inputs",
    "Pack": "packs.schema_packs",
    "PackError": "packs.schema_packs",
    "builtin_packs": "packs.schema_packs",
    "load_bundle": "packs.schema_packs",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule the first time the name is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_LIMITS",
    "ConfigError",
    "ExchangeResult",
    "Finding",
    "Limits",
    "MessageResult",
    "Options",
    "Pack",
    "PackError",
    "RuleConfig",
    "RunResult",
    "Severity",
    "Source",
    "Verdict",
    "__version__",
    "builtin_packs",
    "load_bundle",
    "packs_with",
    "validate",
    "validate_pair",
]

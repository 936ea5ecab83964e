"""ssbtek-validator: conformance checks for SSBTEK requests and answers.

The library API mirrors the CLI: :func:`validate` returns the same :class:`RunResult` the
command prints, so anything the tool reports can be asserted on in a vendor's own tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The one source of the version: the wheel's metadata is read from here (hatch's dynamic version).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from ssbtek_validator.packs.schema_packs import Pack, PackError, builtin_packs, load_bundle
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, RunResult, Severity, Verdict
    from ssbtek_validator.run.config import ConfigError, RuleConfig
    from ssbtek_validator.run.driver import Options, validate_pair

from ssbtek_validator.reading.limits import DEFAULT_LIMITS, Limits  # light (a dataclass); validate()'s default needs it

# Public names and the submodule each lives in. They are imported on first use (PEP 562), so that
# importing a light submodule (the pytest plugin loads ``ssbtek_validator.results.model`` at every pytest start)
# does not pull in the engine, the packs and lxml's schema compilation with it.
_LAZY = {
    "ConfigError": "run.config",
    "RuleConfig": "run.config",
    "load_config": "run.config",
    "Options": "run.driver",
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


def packs_with(schemas: str | Path | None = None) -> dict[int, Pack]:
    """The built-in packs, with a published bundle (``--schemas``) replacing the pack of its version."""
    from ssbtek_validator.packs.nested_models import models_for
    from ssbtek_validator.packs.schema_packs import builtin_packs, load_bundle

    packs = dict(builtin_packs())
    if schemas is not None:
        bundle = load_bundle(Path(schemas), packs)
        models_for(bundle.openapi)  # a broken or hostile LEFI OpenAPI file is a configuration error, now
        packs[bundle.version] = bundle
    return packs


def validate(
    source: str | Path | bytes | Iterable[str | Path],
    *,
    version: int | None = None,
    schemas: str | Path | None = None,
    show_values: bool = False,
    as_of: date | None = None,
    strict: bool = False,
    pairs: bool = False,
    config: RuleConfig | str | Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RunResult:
    """Validate a file, a folder, several of them, or the bytes of one message.

    ``pairs=True`` also pairs requests and answers by korrelationsid (``RunResult.exchanges``); HAR
    captures are always expanded into their messages and exchanges.
    ``config`` is a rule configuration (see :mod:`ssbtek_validator.run.config`) or the path of a TOML file holding
    one; unlike the command, the library reads no pyproject.toml unless given.

    Raises :class:`PackError` for a configuration problem (unknown ``version``, broken bundle) and
    :class:`ConfigError` for a rule configuration that cannot be used; everything wrong with the
    messages themselves is a finding in the result.
    """
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.run.config import RuleConfig, load_config
    from ssbtek_validator.run.driver import Options, validate_paths, validate_sources

    if config is not None and not isinstance(config, RuleConfig):
        config = load_config(config)
    options = Options(
        version=version, show_values=show_values, as_of=as_of, strict=strict, pairs=pairs, limits=limits, config=config
    )
    packs = packs_with(schemas)
    if isinstance(source, bytes):
        return validate_sources([Source("<bytes>", source)], options, packs)
    paths = [source] if isinstance(source, str | Path) else list(source)
    return validate_paths(paths, options, packs)


__all__ = [
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

"""The library's door: what ``ssbtek-validate`` does, as calls that return the one result model.

``import ssbtek_validator`` stays light (the pytest plugin loads it at every pytest start); this module,
which pulls in the packs, the rules and the run, is imported the first time a caller asks for
:func:`validate` or :func:`packs_with`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ssbtek_validator.packs.nested_models import models_for
from ssbtek_validator.packs.schema_packs import Pack, builtin_packs, load_bundle
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS, Limits
from ssbtek_validator.results.model import RunResult
from ssbtek_validator.run.driver import validate_paths, validate_sources
from ssbtek_validator.run.options import Options

if TYPE_CHECKING:
    from ssbtek_validator.run.config import RuleConfig


def packs_with(schemas: str | Path | None = None) -> Mapping[int, Pack]:
    """The built-in packs, with a published bundle (``--schemas``) replacing the pack of its version. Without
    a bundle, the built-in packs themselves: each read when a message first needs it."""
    if schemas is None:
        return builtin_packs()
    packs = dict(builtin_packs())
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
    if config is not None:
        from ssbtek_validator.run.config import RuleConfig, load_config  # only with a configuration

        if not isinstance(config, RuleConfig):
            config = load_config(config)
    options = Options(
        version=version, show_values=show_values, as_of=as_of, strict=strict, pairs=pairs, limits=limits, config=config
    )
    packs = packs_with(schemas)
    if isinstance(source, bytes):
        return validate_sources([Source("<bytes>", source)], options, packs)
    paths = [source] if isinstance(source, str | Path) else list(source)
    return validate_paths(paths, options, packs)

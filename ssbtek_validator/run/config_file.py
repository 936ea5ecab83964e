"""Where a run's rule configuration comes from: ``--config FILE``, or the current directory's ``pyproject.toml``
when it has a ``[tool.ssbtek-validator]`` table (what a configuration may say: run/config.py).

Apart from run/config.py because every run looks for a configuration and most find none: the command imports this
module, and the configuration's model (RuleConfig, its suppressions, the rules' registry to check it against) only
when there is a table to read. Importing run/config.py was ~1.5 ms of a one-message run's ~80 ms of CPU, for a
configuration it did not have; tests/run/test_cold_start.py checks a run without one does not import it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

TABLE = "ssbtek-validator"


class ConfigError(Exception):
    """The configuration cannot be used as written: a usage error (exit 2)."""


def config_table(path: str | Path | None = None, cwd: str | Path | None = None) -> tuple[dict, Path] | None:
    """The configuration's table and its file: ``--config FILE`` if given (its ``[tool.ssbtek-validator]`` table,
    or the whole file), else the current directory's pyproject.toml when it has that table, else None (no
    configuration). run/config.py's ``load_config`` makes it a RuleConfig."""
    if path is not None:
        file = Path(path)
        data = _read(file)
        table = data.get("tool", {}).get(TABLE, data) if "tool" in data else data
    else:
        file = Path(cwd or ".") / "pyproject.toml"
        if not file.is_file():
            return None
        data = _read(file)
        if TABLE not in data.get("tool", {}):
            return None
        table = data["tool"][TABLE]
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [tool.{TABLE}] must be a table")
    return table, file


def _read(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--config {file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc

"""Who and what was certified: the product, its version, the vendor and the environment the captures came from.

A verdict on captures says nothing to an auditor until it names what it is about. The four fields come
from ``certify --product … --product-version … --vendor … --environment …``, else from the
``[tool.ssbtek-validator.certify]`` table of ./pyproject.toml (``product``, ``product-version``, ``vendor``,
``environment``), so a vendor's repository names itself once.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ssbtek_validator.results.safe_text import one_line

#: the table's keys, as written in pyproject.toml, for each field
KEYS = {"product": "product", "product-version": "product_version", "vendor": "vendor", "environment": "environment"}
LABELS = {"product": "product", "product_version": "product version", "vendor": "vendor", "environment": "environment"}


class SubjectError(ValueError):
    """A [tool.ssbtek-validator.certify] table that cannot be used (a usage error, exit 2)."""


@dataclass(frozen=True)
class Subject:
    product: str | None = None
    product_version: str | None = None
    vendor: str | None = None
    environment: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Subject:
        data = data if isinstance(data, dict) else {}
        return cls(**{f.name: _text(data.get(f.name)) for f in fields(cls)})

    def over(self, defaults: Subject) -> Subject:
        """These values, each falling back to ``defaults``'s."""
        return Subject(**{f.name: getattr(self, f.name) or getattr(defaults, f.name) for f in fields(self)})

    def line(self) -> str:
        """One line for the terminal and the reports; a missing field says so rather than vanish."""
        return "; ".join(f"{LABELS[name]}: {value or 'not given'}" for name, value in self.to_dict().items())


def _text(value: Any) -> str | None:
    return one_line(str(value)) if value not in (None, "") else None


def defaults(cwd: str | Path | None = None) -> Subject:
    """``[tool.ssbtek-validator.certify]`` in ``cwd``'s pyproject.toml, or no defaults."""
    file = Path(cwd or ".") / "pyproject.toml"
    if not file.is_file():
        return Subject()
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8")).get("tool", {}).get("ssbtek-validator", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SubjectError(f"{file}: cannot read: {exc}") from exc
    table = table.get("certify", {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        raise SubjectError(f"{file}: [tool.ssbtek-validator.certify] must be a table")
    unknown = set(table) - set(KEYS)
    if unknown:
        raise SubjectError(
            f"{file}: [tool.ssbtek-validator.certify]: unknown keys {', '.join(sorted(unknown))}; "
            f"expected {', '.join(KEYS)}"
        )
    return Subject(**{KEYS[key]: _text(value) for key, value in table.items()})

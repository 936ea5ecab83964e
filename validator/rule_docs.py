"""The rules as reports group them, kept as a name for code that imports it from here.

Everything about rule ids lives in the one registry, :mod:`validator.rules.catalog`: ``rule_table`` (the
ids the certification and SARIF list as rules of their own, in their order), ``owner`` (the rule a finding
id belongs to, from ``part_of`` data) and ``describe`` (documentation for any finding id).
"""

from __future__ import annotations

from .rules.catalog import RuleDoc, describe, owner
from .rules.catalog import rule_table as catalog

__all__ = ["RuleDoc", "catalog", "describe", "owner"]

"""Every rule the engine runs, in the order their findings are reported."""

from __future__ import annotations

from .base import Context, Rule
from .codes import CodeListRule
from .operations import OperationInPackRule
from .payload_decoding import PayloadDecodingRule
from .xsd import XsdRule

#: Rules that run on a message once its pack is known.
MESSAGE_RULES: tuple[Rule, ...] = (OperationInPackRule(), XsdRule(), PayloadDecodingRule(), CodeListRule())

__all__ = ["MESSAGE_RULES", "Context", "Rule"]

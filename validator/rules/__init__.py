"""Every rule the engine runs, in the order their findings are reported."""

from __future__ import annotations

from .base import Context, Rule
from .codes import CodeListRule
from .lifecycle import ClosedVersionRule, NotLiveRule
from .operations import OperationInPackRule
from .payload_decoding import PayloadDecodingRule
from .versioned import (
    AgencyVersionRule,
    ForhandsbeskedFormanRule,
    KarensPeriodRule,
    LefiFieldRule,
    LefiFormanRule,
    LefiVersionMissingRule,
    LefiVersionRule,
)
from .xsd import XsdRule

#: Rules that run on a message once its pack is known.
MESSAGE_RULES: tuple[Rule, ...] = (OperationInPackRule(), XsdRule(), PayloadDecodingRule(), CodeListRule())

#: Version-dependent rules (SSBTEK v6–v8, LEFI Online XML) and the version lifecycle.
MESSAGE_RULES += (
    AgencyVersionRule(),
    LefiVersionRule(),
    LefiVersionMissingRule(),
    LefiFieldRule(),
    LefiFormanRule(),
    ForhandsbeskedFormanRule(),
    KarensPeriodRule(),
    ClosedVersionRule(),
    NotLiveRule(),
)

__all__ = ["MESSAGE_RULES", "Context", "Rule"]

"""Every rule the engine runs, in the order their findings are reported."""

from __future__ import annotations

from .base import Context, Rule
from .codes import CodeListRule
from .echo import AnswerEchoRule
from .lifecycle import ClosedVersionRule, NotLiveRule
from .nested import CsnPayloadRule, LefiPayloadRule, SkvPayloadRule
from .operations import OperationInPackRule
from .payload_decoding import PayloadDecodingRule
from .ping import PingUntestedAgencyRule
from .request import (
    ArendeidentitetCsnRule,
    FkFragaRule,
    OrganisationsnummerRule,
    PersonidentitetRule,
    SkvFragaRule,
    TidsperiodRule,
)
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
MESSAGE_RULES: tuple[Rule, ...] = (
    OperationInPackRule(),
    XsdRule(),
    PayloadDecodingRule(),
    CodeListRule(),  # effective-dated code lists (issue 4)
    # nested payloads against their models, then request rules the XSD cannot say (issue 5)
    CsnPayloadRule(),
    SkvPayloadRule(),
    LefiPayloadRule(),
    PersonidentitetRule(),
    OrganisationsnummerRule(),
    TidsperiodRule(),
    ArendeidentitetCsnRule(),
    SkvFragaRule(),
    FkFragaRule(),
    PingUntestedAgencyRule(),
    AnswerEchoRule(),  # an answer's echoed fraga agrees with the answer
)

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

"""Every rule the engine runs, in the order their findings are reported."""

from __future__ import annotations

from ssbtek_validator.rules.agency_answers import AfReportDateRule, AnswerPeriodRule, MivReasonRule, MivValidityRule
from ssbtek_validator.rules.base import Context, Rule
from ssbtek_validator.rules.codes import CodeListRule
from ssbtek_validator.rules.echo import AnswerEchoRule
from ssbtek_validator.rules.lifecycle import ClosedVersionRule, NotLiveRule
from ssbtek_validator.rules.nested import CsnPayloadRule, LefiPayloadRule, SkvPayloadRule
from ssbtek_validator.rules.operations import OperationInPackRule
from ssbtek_validator.rules.payload_decoding import PayloadDecodingRule
from ssbtek_validator.rules.ping import PingErrorUncalledRule, PingUntestedAgencyRule
from ssbtek_validator.rules.request import (
    ArendeidentitetCsnRule,
    FkFragaRule,
    NotIncludedContentRule,
    OrganisationsnummerRule,
    PersonidentitetRule,
    SkvFragaRule,
    TidsperiodRule,
)
from ssbtek_validator.rules.versioned import (
    AgencyVersionRule,
    ForhandsbeskedFormanRule,
    KarensPeriodRule,
    LefiFieldRule,
    LefiFormanRule,
    LefiVersionMissingRule,
    LefiVersionRule,
)
from ssbtek_validator.rules.xsd import XsdRule

#: Rules that run on a message once its pack is known.
MESSAGE_RULES: tuple[Rule, ...] = (
    OperationInPackRule(),
    XsdRule(),
    PayloadDecodingRule(),
    CodeListRule(),  # effective-dated code lists
    # nested payloads against their models, then request rules the XSD cannot say
    CsnPayloadRule(),
    SkvPayloadRule(),
    LefiPayloadRule(),
    PersonidentitetRule(),
    OrganisationsnummerRule(),
    TidsperiodRule(),
    ArendeidentitetCsnRule(),
    SkvFragaRule(),
    FkFragaRule(),
    NotIncludedContentRule(),
    PingUntestedAgencyRule(),
    PingErrorUncalledRule(),
    MivReasonRule(),  # what an agency's answer holds beyond its schema
    MivValidityRule(),
    AfReportDateRule(),
    AnswerPeriodRule(),
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

"""LEFI Online XML in SSBTEK v6–v8: the version facts, and which LEFI version a message is judged by.

Försäkringskassan changed LEFI Online (FK's part of the answer) four times while SSBTEK went from
v6 to v8, and what a message may carry depends on the LEFI version, not only on the SSBTEK one:
v7 served both 5.0 and 5.1. The facts are data (``xsd/lefi-online/versions.toml``, reconstructed
from the release notes); this module loads them once per process and decides, per message, the
LEFI version the version-dependent rules apply:

1. the ``lefiOnlineVersion`` the message states, if the pack serves that version: in a request
   the question's (``FK/fraga``); in an answer the answer's own (``FK/data``), else the one in the
   echoed question (``fraga``, present when ``fraganSkallInkluderasISvaret`` was true);
2. otherwise the newest LEFI version the pack serves. Assuming the newest is the most permissive
   reading: an answer is never faulted for a field that its LEFI version might have had. A missing
   or unserved ``lefiOnlineVersion`` draws its own finding (SSBT-LEFI-VERSION-MISSING / -VERSION).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import NamedTuple

from lxml import etree

from ssbtek_validator.packs.schema_packs import Pack, data_root, read_toml
from ssbtek_validator.reading.message import Message, text_of

LEFI_NAMESPACE = "urn:ssbtek-validator:reconstructed:lefi-online"


def lefi_tag(local: str) -> str:
    return f"{{{LEFI_NAMESPACE}}}{local}"


def stated_version(text: str) -> str:
    """A stated lefiOnlineVersion as the release notes name LEFI versions (major.minor): "5.0.0" is "5.0".
    LEFI Online 5.0 brought "ny semantisk versionshantering" (Försäkringskassan's release note 2018-10-08),
    and a semantic version is major.minor.patch, where a patch changes nothing a message may carry; the
    notes themselves write "5.0", "5.1", "6.0". No public message shows which spelling the field holds,
    so both are read as the same version."""
    value = text.strip()
    found = _SEMANTIC.fullmatch(value)
    return found.group(1) if found else value


_SEMANTIC = re.compile(r"([0-9]+\.[0-9]+)\.[0-9]+")


@cache
def version_key(version: str) -> tuple[int, ...]:
    """'5.1' → (5, 1); anything that is not dotted digits sorts before every real version."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (-1,)


class LefiVersion(NamedTuple):
    version: str
    ssbtek: int
    live_from: date
    source: str


class FieldFact(NamedTuple):
    """An element of LEFI Online XML that exists only from (``since``) or until (``removed``) a version."""

    element: str
    what: str
    since: str | None
    removed: str | None
    source: str


class FormanFact(NamedTuple):
    code: str
    name: str
    since: str | None
    removed: str | None
    forhandsbesked: bool
    basis: str


@cache
def exists_in(since: str | None, removed: str | None, version: str) -> bool:
    key = version_key(version)
    if since is not None and key < version_key(since):
        return False
    return not (removed is not None and key >= version_key(removed))


class LefiFacts(NamedTuple):
    versions: tuple[LefiVersion, ...]
    fields: tuple[FieldFact, ...]
    formaner: dict[str, FormanFact]
    karens_period_since: str
    #: the day the karensavdrag replaced the karensdag: a karens starting earlier is one day in every version
    karens_avdrag_from: date
    status: str
    #: the LEFI versions of each SSBTEK version, oldest first: rules ask it of every message, in one lookup
    by_ssbtek: dict[int, tuple[LefiVersion, ...]]

    def served_by(self, ssbtek: int) -> tuple[LefiVersion, ...]:
        """The LEFI versions an SSBTEK version carries, oldest first (empty: FK is not LEFI Online XML)."""
        return self.by_ssbtek.get(ssbtek, ())

    def find(self, version: str) -> LefiVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    def field_fact(self, element: str) -> FieldFact | None:
        return next((f for f in self.fields if f.element == element), None)

    def forhandsbesked_codes(self) -> tuple[str, ...]:
        return tuple(code for code, forman in self.formaner.items() if forman.forhandsbesked)

    def introduced(self, version: str) -> str:
        """'LEFI Online 5.0 (SSBTEK v7)': where a LEFI version first reached SSBTEK users."""
        found = self.find(version)
        return f"LEFI Online {version} (SSBTEK v{found.ssbtek})" if found else f"LEFI Online {version}"


@cache
def lefi_facts() -> LefiFacts:
    data = read_toml(data_root("xsd") / "lefi-online" / "versions.toml")
    versions = tuple(
        LefiVersion(str(item["version"]), int(item["ssbtek"]), date.fromisoformat(item["live_from"]), item["source"])
        for item in data["lefi"]
    )
    fields = tuple(
        FieldFact(item["element"], item["what"], item.get("since"), item.get("removed"), item["source"])
        for item in data["field"]
    )
    formaner = {
        item["code"]: FormanFact(
            item["code"],
            item["name"],
            item.get("since"),
            item.get("removed"),
            bool(item.get("forhandsbesked", False)),
            item["basis"],
        )
        for item in data["forman"]
    }
    ordered = tuple(sorted(versions, key=lambda v: version_key(v.version)))
    by_ssbtek: dict[int, tuple[LefiVersion, ...]] = {}
    for version in ordered:
        by_ssbtek[version.ssbtek] = (*by_ssbtek.get(version.ssbtek, ()), version)
    return LefiFacts(
        versions=ordered,
        fields=fields,
        formaner=formaner,
        karens_period_since=data["karens"]["period_since"],
        karens_avdrag_from=date.fromisoformat(data["karens"]["avdrag_from"]),
        status=data["meta"]["status"],
        by_ssbtek=by_ssbtek,
    )


class LefiJudgement(NamedTuple):
    """The LEFI version a message is judged by, and why."""

    version: str
    #: how it was chosen, for messages: "the question's lefiOnlineVersion", "the newest LEFI version of v7", …
    reason: str
    #: the lefiOnlineVersion the message states, whether or not the pack serves it
    stated: str | None
    stated_element: etree._Element | None
    served: tuple[str, ...]

    @property
    def from_message(self) -> bool:
        return self.stated is not None and self.stated == self.version

    def describe(self, pack: Pack, direction: str | None) -> str:
        """'this answer is LEFI Online 4.0 (the only LEFI version of SSBTEK v6)'."""
        what = {"request": "this question", "answer": "this answer"}.get(direction or "", "this message")
        return f"{what} is LEFI Online {self.version} ({self.reason})"


#: where LEFI Online XML sits, per direction, most authoritative first, and how to name its lefiOnlineVersion
_HOLDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "request": (("ssbt:specifikaFrageparametrar/ssbt:FK/ssbt:fraga", "the question's lefiOnlineVersion"),),
    "answer": (
        ("ssbt:svarsdata/ssbt:FK/ssbt:data", "the answer's lefiOnlineVersion"),
        ("ssbt:fraga/ssbt:specifikaFrageparametrar/ssbt:FK/ssbt:fraga", "the lefiOnlineVersion of the echoed question"),
    ),
}


@cache
def _holder_xpaths(namespace: str, direction: str) -> tuple[tuple[etree.XPath, str], ...]:
    return tuple(
        (etree.XPath(path, namespaces={"ssbt": namespace}), reason) for path, reason in _HOLDERS.get(direction, ())
    )


def _holders(message: Message, pack: Pack) -> list[tuple[etree._Element, str]]:
    if message.payload is None or message.direction is None:
        return []
    found = []
    for xpath, reason in _holder_xpaths(pack.namespace, message.direction):
        elements = xpath(message.payload)
        if elements:
            found.append((elements[0], reason))
    return found


def lefi_roots(message: Message, pack: Pack) -> list[etree._Element]:
    """The FK elements whose children are LEFI Online XML: the question, the answer, the echoed question.

    Rules look only inside these, not through the other agencies' data of a large answer.
    """
    return [element for element, _reason in _holders(message, pack)]


def _stated(holders: list[tuple[etree._Element, str]]) -> tuple[str | None, etree._Element | None, str]:
    tag = lefi_tag("lefiOnlineVersion")
    for holder, reason in holders:
        element = holder.find(tag)
        if element is not None and text_of(element).strip():
            return stated_version(text_of(element)), element, reason
    return None, None, ""


def judge(message: Message, pack: Pack) -> LefiJudgement | None:
    """The LEFI version to judge ``message`` by; None when the pack's FK part is not LEFI Online XML."""
    found = inspect(message, pack)
    return found[0] if found else None


def inspect(message: Message, pack: Pack) -> tuple[LefiJudgement, list[etree._Element]] | None:
    """The judged LEFI version and the elements holding LEFI Online XML, found in one look."""
    if message.payload is None:
        return None
    served = tuple(v.version for v in lefi_facts().served_by(pack.version))
    if not served:
        return None
    holders = _holders(message, pack)
    roots = [element for element, _reason in holders]
    stated, element, reason = _stated(holders)
    if stated is not None and stated in served:
        return LefiJudgement(stated, reason, stated, element, served), roots
    if len(served) == 1:
        fallback = f"the only LEFI version of SSBTEK v{pack.version}"
    else:
        fallback = f"assumed: the newest LEFI version of SSBTEK v{pack.version}, which serves {', '.join(served)}"
    return LefiJudgement(served[-1], fallback, stated, element, served), roots
